package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kilnhq/kiln/internal/app"
)

// sshServer is an SSH server for tests: one login, and every "exec" request
// run by sh on this machine (the "remote" host is the local one).
type sshServer struct {
	addr string
	key  ssh.PublicKey // its host key
	mu   sync.Mutex
	cmds []string
}

// newHostKey is a fresh ed25519 host key.
func newHostKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

func startSSHServer(t *testing.T, login, password string) *sshServer {
	t.Helper()
	signer := newHostKey(t)
	cfg := &ssh.ServerConfig{PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
		if c.User() == login && string(pw) == password {
			return nil, nil
		}
		return nil, errors.New("denied")
	}}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &sshServer{addr: ln.Addr().String(), key: signer.PublicKey()}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(nc, cfg)
		}
	}()
	return s
}

func (s *sshServer) serve(nc net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		nc.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go s.session(ch, chReqs)
	}
}

func (s *sshServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" || len(req.Payload) < 4 {
			req.Reply(false, nil)
			continue
		}
		n := binary.BigEndian.Uint32(req.Payload)
		cmdline := string(req.Payload[4 : 4+n])
		s.mu.Lock()
		s.cmds = append(s.cmds, cmdline)
		s.mu.Unlock()
		req.Reply(true, nil)
		cmd := exec.Command("sh", "-c", cmdline)
		cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
		stdin, _ := cmd.StdinPipe()
		go func() { io.Copy(stdin, ch); stdin.Close() }()
		status := 0
		if err := cmd.Run(); err != nil {
			status = 1
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			}
		}
		ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, uint32(status)))
		return
	}
}

func (s *sshServer) commands() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.cmds, "\n")
}

// scan run --ip: the agent the server hands out is checked against its
// checksum, copied over SSH into a private directory and run there (here:
// this test binary in main mode, behind a wrapper script), the scan is
// followed on the server, and the directory removed. An unknown host key is
// refused until --accept-new-host-key records it; a changed one always is.
func TestCLIScanRunSSH(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := writeFile(t, filepath.Join(t.TempDir(), "agent.sh"),
		"#!/bin/sh\nKILN_TEST_MAIN=1 KILN_TEST_ARGV=\"$(printf '%s\\n' \"$@\")\" exec "+exe+" -test.run='^TestScanExitCode$'\n")
	if err := os.Chmod(wrapper, 0o755); err != nil {
		t.Fatal(err)
	}
	n := startNodeWith(t, func(c *app.Config) { c.Agent = wrapper })
	fastPolls(t)
	srv := startSSHServer(t, "root", "ssh-secret")
	host, port, _ := net.SplitHostPort(srv.addr)
	root := scanRoot(t)
	remoteDir := filepath.Join(t.TempDir(), "agent dir")
	knownHosts := filepath.Join(t.TempDir(), "kiln", "known_hosts")
	sshArgs := []string{"--ip", host, "--scan-port", port, "--scan-login", "root", "--dir", remoteDir, "--scan-root", root, "--known-hosts", knownHosts}
	args := append(append([]string{"scan", "run", "--name", "remote01", "-o", "-e", "/srv/cache"}, sshArgs...),
		append(n.admin(), "--scan-password", "ssh-secret")...)

	// An unknown host: refused before anything is sent, with its fingerprint.
	_, _, err = kiln(t, "", args...)
	if err == nil || !strings.Contains(err.Error(), "is unknown") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(srv.key)) ||
		!strings.Contains(err.Error(), "--accept-new-host-key") {
		t.Fatalf("unknown host key: %v", err)
	}
	if cmds := srv.commands(); cmds != "" {
		t.Fatalf("commands sent to an unknown host:\n%s", cmds)
	}
	if _, err := os.Stat(knownHosts); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused key was recorded: %v", err)
	}

	// --ca-cert goes to the agent too (copied next to it): here a CA of no
	// use over http, which the agent must still load.
	caFile, _, _ := testPKI(t, t.TempDir())
	out, errOut, err := kiln(t, "", append(args, "--accept-new-host-key", "--ca-cert", caFile)...)
	if err != nil {
		t.Fatalf("scan run --ip: %v\n%s\n%s\ncommands:\n%s", err, out, errOut, srv.commands())
	}
	if !strings.Contains(out, "Scan successful") || !strings.Contains(errOut, "[OK  ] credentials: user admin is accepted") ||
		!strings.Contains(errOut, "recorded the new host key") {
		t.Errorf("output:\n%s\n%s", out, errOut)
	}
	recorded, err := os.ReadFile(knownHosts)
	if want := knownhosts.Line([]string{knownhosts.Normalize(srv.addr)}, srv.key); err != nil || strings.TrimSpace(string(recorded)) != want {
		t.Errorf("known_hosts %q (%v), want %q", recorded, err, want)
	}
	cmds := srv.commands()
	if strings.Contains(cmds, testAdminPassword) {
		t.Errorf("the password is on a command line:\n%s", cmds)
	}
	// The agent went into a directory made by mktemp (random name), which is
	// gone afterwards.
	private := regexp.MustCompile(regexp.QuoteMeta(remoteDir) + `/kiln\.[A-Za-z0-9]{10}/kiln'`)
	if !strings.Contains(cmds, "'mktemp' '-d'") || !private.MatchString(cmds) || strings.Contains(cmds, remoteDir+"/kiln'") {
		t.Errorf("the agent is not in a private directory:\n%s", cmds)
	}
	if !regexp.MustCompile(`'--ca-cert' '` + regexp.QuoteMeta(remoteDir) + `/kiln\.[A-Za-z0-9]{10}/ca\.pem'`).MatchString(cmds) {
		t.Errorf("the agent was not given the CA:\n%s", cmds)
	}
	if left, err := os.ReadDir(remoteDir); err != nil || len(left) != 0 {
		t.Errorf("left on the host: %v %v", left, err)
	}
	var instances []struct {
		Name    string
		Overlay bool
		Scans   []struct{ Status string }
	}
	jsonOut(t, &instances, append([]string{"scan", "list"}, n.admin()...)...)
	if len(instances) != 1 || instances[0].Name != "remote01" || !instances[0].Overlay || len(instances[0].Scans) != 1 || instances[0].Scans[0].Status != "Done" {
		t.Fatalf("instances %+v", instances)
	}

	// The rule on overlays is checked before anything is copied.
	if _, _, err := kiln(t, "", append(append([]string{"scan", "run", "--name", "remote01"}, sshArgs...),
		append(n.admin(), "--scan-password", "ssh-secret")...)...); err == nil || !strings.Contains(err.Error(), "Performing regular scan") {
		t.Errorf("overlay rule: %v", err)
	}
	// A wrong SSH password (the host is known now).
	if _, _, err := kiln(t, "", append(append([]string{"scan", "run", "--name", "remote02"}, sshArgs...),
		append(n.admin(), "--scan-password", "nope")...)...); err == nil || !strings.Contains(err.Error(), "ssh root@") || strings.Contains(err.Error(), "host key") {
		t.Errorf("bad ssh password: %v", err)
	}
	// Bad API credentials fail before anything is copied.
	if _, _, err := kiln(t, "", append(append([]string{"scan", "run", "--name", "remote03", "-a", n.url, "-u", "admin", "-p", "wrong-pw"}, sshArgs...),
		"--scan-password", "ssh-secret")...); err == nil {
		t.Error("bad API password accepted")
	}

	// Another key for the same address: refused, even with --accept-new-host-key.
	writeFile(t, knownHosts, knownhosts.Line([]string{knownhosts.Normalize(srv.addr)}, newHostKey(t).PublicKey())+"\n")
	before := srv.commands()
	_, _, err = kiln(t, "", append(args, "--accept-new-host-key")...)
	if err == nil || !strings.Contains(err.Error(), "CHANGED") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(srv.key)) {
		t.Errorf("changed host key: %v", err)
	}
	if srv.commands() != before {
		t.Error("commands sent to a host whose key changed")
	}
}
