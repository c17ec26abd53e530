package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kilnhq/kiln/internal/uforge"
)

// SSHScanOptions is `scan run --ip HOST`: the agent copied to HOST over SSH
// and started there, as hammr does (contract §8.4).
type SSHScanOptions struct {
	Host         string
	Port         int    // default 22
	Login        string // --scan-login
	Password     string // --scan-password
	IdentityFile string // --identity-file (a private key without passphrase)
	Dir          string // where the agent goes on HOST; default /tmp
	Name         string
	Overlay      bool
	Exclude      []string
	Root         string // --scan-root: the agent's --root on HOST ("" = /)
	KnownHosts   string // default ~/.ssh/known_hosts
	// WaitStart bounds the wait for the scan to appear on the server after
	// the agent started (default 10 minutes: the inventory of a big machine).
	WaitStart time.Duration
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// agentURL is where the server hands out the agent, next to the API:
// <base without its last segment>/resources/uforge-scan.bin.
func agentURL(base string) string {
	base = strings.TrimSuffix(base, "/")
	if i := strings.LastIndexByte(base, '/'); i > len("https://") {
		base = base[:i]
	}
	return base + "/resources/uforge-scan.bin"
}

// fetchAgent downloads the agent (no credentials) into a temporary file.
func (e *Env) fetchAgent(ctx context.Context) (string, error) {
	u := agentURL(e.Client.BaseURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	hc := e.Client.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("download the scan agent: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download the scan agent from %s: %s", u, resp.Status)
	}
	f, err := os.CreateTemp("", "kiln-agent-*")
	if err != nil {
		return "", err
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d bytes of %d", n, resp.ContentLength)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("download the scan agent: %w", err)
	}
	return f.Name(), nil
}

// hostKeyCallback checks host keys against known_hosts: a changed key is
// refused; an unknown host is accepted with a warning naming its key, as
// hammr (paramiko's AutoAddPolicy) accepts it.
func (e *Env) hostKeyCallback(file string) (ssh.HostKeyCallback, error) {
	var known ssh.HostKeyCallback
	if _, err := os.Stat(file); err == nil {
		cb, err := knownhosts.New(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		known = cb
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		if known != nil {
			err := known(host, remote, key)
			var ke *knownhosts.KeyError
			if err == nil {
				return nil
			}
			if !errors.As(err, &ke) || len(ke.Want) > 0 {
				return fmt.Errorf("host key of %s: %w (remove the old key from %s if the change is expected)", host, err, file)
			}
		}
		sum := sha256.Sum256(key.Marshal())
		e.Warn("accepting the unknown host key of %s: %s SHA256:%s", host, key.Type(), base64.RawStdEncoding.EncodeToString(sum[:]))
		return nil
	}, nil
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

// agentArgs are the agent's flags (kiln scan, uforge-scan's flags); the
// secret is read from stdin into the environment, never put on a command
// line where ps shows it.
func (e *Env) agentArgs() (prefix string, args []string, secret string) {
	c := e.Client
	args = []string{"scan", "-u", shellQuote(e.User), "-U", shellQuote(c.BaseURL)}
	if c.Password != "" {
		return "read -r KILN_PASSWORD; export KILN_PASSWORD; ", args, c.Password
	}
	args = append(args, "-a", shellQuote(c.PublicKey))
	return "read -r KILN_SECRETKEY; export KILN_SECRETKEY; ", args, c.SecretKey
}

// ScanRunSSH is `scan run --ip HOST --scan-login USER …`: download the agent
// from the server, copy it to HOST over SSH, run its preflight checks (their
// output is printed), start the scan detached, then follow it on the server.
func ScanRunSSH(ctx context.Context, e *Env, o SSHScanOptions) error {
	if strings.TrimSpace(o.Name) == "" {
		return errors.New("--name is required: the scanned instance to create or add to")
	}
	if o.Login == "" {
		return errors.New("--scan-login is required with --ip")
	}
	if (o.Password == "") == (o.IdentityFile == "") {
		return errors.New("give --scan-password or --identity-file (one of them) for the SSH login")
	}
	if o.Port == 0 {
		o.Port = 22
	}
	if o.Dir == "" {
		o.Dir = "/tmp"
	}
	if o.KnownHosts == "" {
		home, _ := os.UserHomeDir()
		o.KnownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	if o.WaitStart == 0 {
		o.WaitStart = 10 * time.Minute
	}
	before, err := e.checkInstance(ctx, o.Name, o.Overlay)
	if err != nil {
		return err
	}
	known := map[int64]bool{}
	if before != nil {
		for _, sc := range before.Scans {
			known[uforge.Int64Value(sc.DBID)] = true
		}
	}

	var auth ssh.AuthMethod
	if o.IdentityFile != "" {
		pem, err := os.ReadFile(o.IdentityFile)
		if err != nil {
			return fmt.Errorf("--identity-file: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			var pe *ssh.PassphraseMissingError
			if errors.As(err, &pe) {
				return fmt.Errorf("--identity-file %s is protected by a passphrase, which kiln cannot ask for: use a key without one", o.IdentityFile)
			}
			return fmt.Errorf("--identity-file %s: %w", o.IdentityFile, err)
		}
		auth = ssh.PublicKeys(signer)
	} else {
		auth = ssh.Password(o.Password)
	}
	hkc, err := e.hostKeyCallback(o.KnownHosts)
	if err != nil {
		return err
	}

	agent, err := e.fetchAgent(ctx)
	if err != nil {
		return err
	}
	defer os.Remove(agent)

	addr := net.JoinHostPort(o.Host, strconv.Itoa(o.Port))
	conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: o.Login, Auth: []ssh.AuthMethod{auth}, HostKeyCallback: hkc, Timeout: 30 * time.Second})
	if err != nil {
		return fmt.Errorf("ssh %s@%s: %w", o.Login, addr, err)
	}
	defer conn.Close()

	dir := strings.TrimRight(o.Dir, "/")
	remote := dir + "/kiln"
	f, err := os.Open(agent)
	if err != nil {
		return err
	}
	e.Info("Copying the scan agent to %s:%s", o.Host, remote)
	_, stderr, err := sshRun(conn, fmt.Sprintf("mkdir -p %s && cat > %s.part && chmod 755 %s.part && mv %s.part %s",
		shellQuote(dir), shellQuote(remote), shellQuote(remote), shellQuote(remote), shellQuote(remote)), f)
	f.Close()
	if err != nil {
		return fmt.Errorf("copy the agent to %s: %v %s", o.Host, err, strings.TrimSpace(stderr))
	}

	prefix, args, secret := e.agentArgs()
	if o.Root != "" {
		args = append(args, "--root", shellQuote(o.Root))
	}
	preflight := prefix + shellQuote(remote) + " " + strings.Join(append(args, "-P"), " ")
	out, stderr, err := sshRun(conn, preflight, strings.NewReader(secret+"\n"))
	fmt.Fprint(e.Err, out)
	if err != nil {
		return fmt.Errorf("the preflight checks on %s failed: %v %s", o.Host, err, strings.TrimSpace(stderr))
	}

	run := append(args, "-n", shellQuote(o.Name))
	if o.Overlay {
		run = append(run, "-o")
	}
	for _, x := range o.Exclude {
		run = append(run, "-e", shellQuote(x))
	}
	log := remote + "-scan.log"
	start := prefix + "nohup " + shellQuote(remote) + " " + strings.Join(run, " ") + " > " + shellQuote(log) + " 2>&1 < /dev/null & echo $!"
	out, stderr, err = sshRun(conn, start, strings.NewReader(secret+"\n"))
	if err != nil {
		return fmt.Errorf("start the scan on %s: %v %s", o.Host, err, strings.TrimSpace(stderr))
	}
	pid := strings.TrimSpace(out)
	if _, err := strconv.Atoi(pid); err != nil {
		return fmt.Errorf("start the scan on %s: unexpected answer %q", o.Host, out)
	}
	e.Info("Scan of %s started (agent pid %s); waiting for it on the server", o.Host, pid)

	// The new scan shows up once the agent has sent its inventory.
	deadline := time.Now().Add(o.WaitStart)
	for {
		if err := ctx.Err(); err != nil {
			_, _, _ = sshRun(conn, "kill "+pid, nil)
			return fmt.Errorf("interrupted; the agent on %s was stopped: %w", o.Host, err)
		}
		si, err := e.Client.FindScannedInstance(ctx, e.User, o.Name)
		if err != nil {
			return err
		}
		if si != nil {
			for _, sc := range si.Scans {
				if id := uforge.Int64Value(sc.DBID); !known[id] {
					return e.awaitScan(ctx, uforge.Int64Value(si.DBID), id, 0)
				}
			}
		}
		if _, _, err := sshRun(conn, "kill -0 "+pid, nil); err != nil {
			tail, _, _ := sshRun(conn, "tail -n 20 "+shellQuote(log), nil)
			return fmt.Errorf("the agent on %s stopped before sending a scan:\n%s", o.Host, strings.TrimSpace(tail))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no scan from %s after %s (the agent's log is %s there)", o.Host, o.WaitStart, log)
		}
		if err := sleep(ctx, e.poll()); err != nil {
			continue // the loop top stops the agent
		}
	}
}
