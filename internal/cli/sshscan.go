package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

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
	// Dir is where the agent's private directory is made on HOST (mktemp -d,
	// removed afterwards); default /tmp. It must be absolute.
	Dir     string
	Name    string
	Overlay bool
	Exclude []string
	Root    string // --scan-root: the agent's --root on HOST ("" = /)
	// KnownHosts is the known_hosts file HOST's key is checked against
	// (default DefaultKnownHosts); AcceptNewHostKey records the key of a host
	// not in it, which is otherwise refused.
	KnownHosts       string
	AcceptNewHostKey bool
	// WaitStart bounds the wait for the scan to appear on the server after
	// the agent started (default 10 minutes: the inventory of a big machine).
	WaitStart time.Duration
}

// agentArgs are the agent's arguments (kiln scan, uforge-scan's flags); the
// secret is read from stdin into the environment by prefix, never put on a
// command line where ps shows it.
func (e *Env) agentArgs() (prefix string, args []string, secret string) {
	c := e.Client
	args = []string{"scan", "-u", e.User, "-U", c.BaseURL}
	if c.Password != "" {
		return "read -r KILN_PASSWORD; export KILN_PASSWORD; ", args, c.Password
	}
	args = append(args, "-a", c.PublicKey)
	return "read -r KILN_SECRETKEY; export KILN_SECRETKEY; ", args, c.SecretKey
}

// ScanRunSSH is `scan run --ip HOST --scan-login USER …`: check HOST's key,
// download the agent from the server and check it against the checksum the
// server vouches for, copy it into a private directory on HOST, run its
// preflight checks (their output is printed), start the scan detached, follow
// it on the server, and remove the directory.
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
	if !path.IsAbs(o.Dir) {
		return fmt.Errorf("--dir %q: want an absolute directory on %s", o.Dir, o.Host)
	}
	if o.KnownHosts == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("known hosts: %w (give --known-hosts FILE)", err)
		}
		o.KnownHosts = DefaultKnownHosts(home)
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

	auth, err := sshAuth(o)
	if err != nil {
		return err
	}
	hkc, err := e.hostKeyCallback(o.KnownHosts, o.AcceptNewHostKey)
	if err != nil {
		return err
	}
	// The host is checked before the agent (tens of MB) is downloaded.
	addr := net.JoinHostPort(o.Host, strconv.Itoa(o.Port))
	conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: o.Login, Auth: []ssh.AuthMethod{auth}, HostKeyCallback: hkc, Timeout: 30 * time.Second})
	if err != nil {
		return fmt.Errorf("ssh %s@%s: %w", o.Login, addr, err)
	}
	defer conn.Close()

	agent, err := e.fetchAgent(ctx)
	if err != nil {
		return err
	}
	defer os.Remove(agent)

	out, stderr, err := sshRun(conn, mkAgentDirCmd(o.Dir), nil)
	if err != nil {
		return fmt.Errorf("make a private directory under %s on %s: %w %s", o.Dir, o.Host, err, strings.TrimSpace(stderr))
	}
	dir, err := parseAgentDir(o.Dir, out)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Host, err)
	}
	keep := false // the agent's log, when the agent is left running
	defer func() {
		if keep {
			return
		}
		if _, stderr, err := sshRun(conn, dir.removeCmd(), nil); err != nil {
			e.Warn("could not remove %s on %s: %v %s", dir, o.Host, err, strings.TrimSpace(stderr))
		}
	}()
	e.Info("Copying the scan agent to %s:%s", o.Host, dir.agent())
	if err := sshCopy(conn, agent, dir.agent(), "700"); err != nil {
		return fmt.Errorf("copy the agent to %s: %w", o.Host, err)
	}

	prefix, args, secret := e.agentArgs()
	if e.CACert != "" {
		// The agent talks to the same https server: it trusts the same CA.
		if err := sshCopy(conn, e.CACert, dir.ca(), "600"); err != nil {
			return fmt.Errorf("copy --ca-cert to %s: %w", o.Host, err)
		}
		args = append(args, "--ca-cert", dir.ca())
	}
	if o.Root != "" {
		args = append(args, "--root", o.Root)
	}
	preflight := prefix + shellLine(append(append([]string{dir.agent()}, args...), "-P")...)
	out, stderr, err = sshRun(conn, preflight, strings.NewReader(secret+"\n"))
	fmt.Fprint(e.Err, out)
	if err != nil {
		return fmt.Errorf("the preflight checks on %s failed: %w %s", o.Host, err, strings.TrimSpace(stderr))
	}

	run := append(append([]string{dir.agent()}, args...), "-n", o.Name)
	if o.Overlay {
		run = append(run, "-o")
	}
	for _, x := range o.Exclude {
		run = append(run, "-e", x)
	}
	start := prefix + "nohup " + shellLine(run...) + " > " + shellQuote(dir.log()) + " 2>&1 < /dev/null & echo $!"
	out, stderr, err = sshRun(conn, start, strings.NewReader(secret+"\n"))
	if err != nil {
		return fmt.Errorf("start the scan on %s: %w %s", o.Host, err, strings.TrimSpace(stderr))
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
			_, _, _ = sshRun(conn, shellLine("kill", pid), nil)
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
		if _, _, err := sshRun(conn, shellLine("kill", "-0", pid), nil); err != nil {
			tail, _, _ := sshRun(conn, shellLine("tail", "-n", "20", dir.log()), nil)
			return fmt.Errorf("the agent on %s stopped before sending a scan:\n%s", o.Host, strings.TrimSpace(tail))
		}
		if time.Now().After(deadline) {
			keep = true
			return fmt.Errorf("no scan from %s after %s; the agent (pid %s) still runs there, its log is %s (remove %s when it is done)",
				o.Host, o.WaitStart, pid, dir.log(), dir)
		}
		if err := sleep(ctx, e.poll()); err != nil {
			continue // the loop top stops the agent
		}
	}
}

// sshAuth is the SSH login of o: its private key, or its password.
func sshAuth(o SSHScanOptions) (ssh.AuthMethod, error) {
	if o.IdentityFile == "" {
		return ssh.Password(o.Password), nil
	}
	pem, err := os.ReadFile(o.IdentityFile)
	if err != nil {
		return nil, fmt.Errorf("--identity-file: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		var pe *ssh.PassphraseMissingError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("--identity-file %s is protected by a passphrase, which kiln cannot ask for: use a key without one", o.IdentityFile)
		}
		return nil, fmt.Errorf("--identity-file %s: %w", o.IdentityFile, err)
	}
	return ssh.PublicKeys(signer), nil
}

// sshCopy writes the local file to remote (in the agent's directory) with mode.
func sshCopy(conn *ssh.Client, local, remote, mode string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, stderr, err := sshRun(conn, writeCmd(remote, mode), f); err != nil {
		return fmt.Errorf("%w %s", err, strings.TrimSpace(stderr))
	}
	return nil
}
