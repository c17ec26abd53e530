package cli

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/crypto/ssh"
)

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellLine is a command line for the remote POSIX shell made of explicit
// words, each quoted: a value from the user (a path, a login, a name) stays
// one argument whatever it holds.
func shellLine(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// sshRun runs cmd in a new session with stdin, returning stdout and stderr.
func sshRun(conn *ssh.Client, cmd string, stdin io.Reader) (string, string, error) {
	s, err := conn.NewSession()
	if err != nil {
		return "", "", err
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = stdin, &out, &errOut
	err = s.Run(cmd)
	return out.String(), errOut.String(), err
}

// agentDir is the agent's directory on the scanned host: made by mktemp -d
// (mode 0700, a random name) under the --dir parent, so that no other user of
// the host can plant or swap the binary root is about to run, or read its log,
// at a name known in advance.
type agentDir string

// agentDirTemplate is mktemp's template under parent.
func agentDirTemplate(parent string) string { return path.Join(parent, "kiln.XXXXXXXXXX") }

// mkAgentDirCmd creates the parent if needed and a private directory in it,
// whose path it prints. umask 077 keeps a created parent private too.
func mkAgentDirCmd(parent string) string {
	return "umask 077 && " + shellLine("mkdir", "-p", parent) + " && " + shellLine("mktemp", "-d", agentDirTemplate(parent))
}

// parseAgentDir checks what mkAgentDirCmd printed: one path in parent made
// from the template, so that the later rm -rf removes only that.
func parseAgentDir(parent, out string) (agentDir, error) {
	p := strings.TrimSpace(out)
	tmpl := agentDirTemplate(parent)
	if strings.ContainsAny(p, "\n\r") || len(p) != len(tmpl) || path.Clean(p) != p ||
		!strings.HasPrefix(p, strings.TrimSuffix(tmpl, "XXXXXXXXXX")) {
		return "", fmt.Errorf("mktemp answered %q, not a directory like %s", out, tmpl)
	}
	return agentDir(p), nil
}

func (d agentDir) agent() string { return path.Join(string(d), "kiln") }
func (d agentDir) log() string   { return path.Join(string(d), "scan.log") }
func (d agentDir) ca() string    { return path.Join(string(d), "ca.pem") }

// writeCmd stores stdin as file in the directory with mode (octal, "700").
func writeCmd(file, mode string) string {
	return "cat > " + shellQuote(file) + " && " + shellLine("chmod", mode, file)
}

// removeCmd removes the directory and all it holds.
func (d agentDir) removeCmd() string { return shellLine("rm", "-rf", string(d)) }
