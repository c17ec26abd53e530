package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI writes a CA and a certificate it signed for 127.0.0.1 into dir, and
// returns the files: the CA's certificate, the server's certificate and key.
func testPKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, srvKey := newKey(), newKey()
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kiln test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	return writeFile(t, filepath.Join(dir, "ca.pem"), pemOf("CERTIFICATE", caDER)),
		writeFile(t, filepath.Join(dir, "cert.pem"), pemOf("CERTIFICATE", srvDER)),
		writeFile(t, filepath.Join(dir, "key.pem"), pemOf("EC PRIVATE KEY", keyDER))
}

// Plain HTTP is for loopback addresses; anything else needs TLS or
// --insecure-http.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for addr, loopback := range map[string]bool{
		"127.0.0.1:8080": true, "127.3.2.1:80": true, "[::1]:8080": true, "localhost:8080": true, "LOCALHOST": true,
		"0.0.0.0:8080": false, "[::]:8080": false, ":8080": false, "192.0.2.7:8080": false, "kiln.example:8080": false,
	} {
		err := tlsFlags{}.checkPlainHTTP(addr)
		if (err == nil) != loopback {
			t.Errorf("%s: %v, want allowed %v", addr, err, loopback)
		}
		if err != nil && (!strings.Contains(err.Error(), "--tls-cert") || !strings.Contains(err.Error(), "--insecure-http")) {
			t.Errorf("%s: the error does not name both ways out: %v", addr, err)
		}
		if err := (tlsFlags{insecureHTTP: true}).checkPlainHTTP(addr); err != nil {
			t.Errorf("%s with --insecure-http: %v", addr, err)
		}
	}

	// The command refuses before opening anything. (Were it to serve, it
	// would stop without an error when ctx ends.)
	clearSettingsEnv(t)
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := newServeCmd()
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--listen", "0.0.0.0:0", "--data", data, "--mirror", "http://127.0.0.1:9/debian", "--workers", "0"})
	err := cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "refusing to serve plain HTTP") {
		t.Fatalf("kiln serve --listen 0.0.0.0:0: %v", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(data, "*")); len(matches) > 0 {
		t.Errorf("the refused start created %v", matches)
	}

	// With TLS, any address goes.
	_, cert, key := testPKI(t, t.TempDir())
	ln, cfg, err := tlsFlags{tlsCert: cert, tlsKey: key}.listenTransport("0.0.0.0:0")
	if err != nil || cfg == nil || cfg.MinVersion != tls.VersionTLS12 {
		t.Fatalf("TLS on 0.0.0.0: %v, config %v", err, cfg)
	}
	ln.Close()
	if _, _, err := (tlsFlags{tlsCert: cert}).listenTransport("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("--tls-cert without --tls-key: %v", err)
	}
}

// kiln serve --tls-cert --tls-key answers over HTTPS only, announces https
// URLs, and the client trusts it with --ca-cert (or KILN_CA_CERT).
func TestServeTLS(t *testing.T) {
	clearSettingsEnv(t)
	t.Setenv("KILN_ADMIN_PASSWORD", testAdminPassword)
	t.Setenv("KILN_CA_CERT", "")
	caFile, cert, key := testPKI(t, t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // serve binds it again; nothing else asks for this port meanwhile
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cmd := newServeCmd()
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--listen", addr, "--tls-cert", cert, "--tls-key", key, "--data", t.TempDir(),
		"--mirror", "http://127.0.0.1:9/debian", "--workers", "0", "--log-level", "error"})
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(caFile)
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("read the CA: %v", err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + addr + "/api"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(base + "/status")
		if err == nil {
			resp.Body.Close()
			if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
				t.Fatalf("status answered without TLS 1.2+: %+v", resp.TLS)
			}
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, err := http.Get("http://" + addr + "/api/status"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered too")
		}
	}

	login := []string{"-a", base, "-u", "admin", "-p", testAdminPassword}
	var x509Err x509.UnknownAuthorityError
	if _, _, err := kiln(t, "", append([]string{"user", "info"}, login...)...); err == nil || !errors.As(err, &x509Err) && !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a server signed by an unknown CA was trusted: %v", err)
	}
	if out := mustKiln(t, append([]string{"user", "info", "--ca-cert", caFile}, login...)...); !strings.Contains(out, "admin") {
		t.Errorf("user info over https:\n%s", out)
	}
	t.Setenv("KILN_CA_CERT", caFile)
	mustKiln(t, append([]string{"user", "info"}, login...)...)
	t.Setenv("KILN_CA_CERT", "")

	// The scan agent reaches it with --ca-cert too.
	agent := []string{"scan", "-u", "admin", "-p", testAdminPassword, "-U", base, "-P", "--root", scanRoot(t), "-t", t.TempDir()}
	if out, _, err := runKiln(t, agent...); err == nil || strings.Contains(out, "[OK  ] credentials") {
		t.Errorf("the agent trusted an unknown CA: %v\n%s", err, out)
	}
	if out, _, err := runKiln(t, append(agent, "--ca-cert", caFile)...); err != nil || !strings.Contains(out, "[OK  ] credentials: user admin is accepted") {
		t.Errorf("agent with --ca-cert: %v\n%s", err, out)
	}

	// The URIs the server hands out are https ones: --public-url defaults to it.
	r, err := http.NewRequest("POST", base+"/users", strings.NewReader(`{"user":{"loginName":"carol","password":"carol-secret"}}`))
	if err != nil {
		t.Fatal(err)
	}
	r.SetBasicAuth("admin", testAdminPassword)
	r.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, base+"/users/") {
		t.Errorf("create a user: %s, Location %q, want it under %s", resp.Status, loc, base)
	}
}
