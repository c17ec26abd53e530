package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge/xsdtest"
)

const testAdminPassword = "admin-secret"

// fastGen stands in for the image engine: it reports progress, writes a small
// artifact, and can be held (to test cancel) or made to fail.
type fastGen struct {
	mu    sync.Mutex
	hold  chan struct{}
	fail  string
	specs []*spec.Spec
	plans []*plan.Plan
}

// planOf returns the i-th plan Run received.
func (g *fastGen) planOf(i int) *plan.Plan {
	g.mu.Lock()
	defer g.mu.Unlock()
	if i >= len(g.plans) {
		return nil
	}
	return g.plans[i]
}

func (g *fastGen) Run(ctx context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error) {
	s := &p.Spec
	g.mu.Lock()
	hold, fail := g.hold, g.fail
	g.specs = append(g.specs, s)
	g.plans = append(g.plans, p)
	g.mu.Unlock()
	progress(generate.Update{Stage: generate.StageRootfs, Percent: 20, Message: "bootstrapping debian (stand-in)"})
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != "" {
		return nil, errors.New(fail)
	}
	progress(generate.Update{Stage: generate.StageConvert, Percent: 80, Message: "writing " + s.Output.Format + " (stand-in)"})
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	data := []byte("stand-in image of " + s.Name + "\n" + strings.Repeat("kiln", 40000))
	path := filepath.Join(outDir, "image.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &generate.Result{Path: path, Format: "qcow2", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		Packages: []record.InstalledPackage{{Name: "openssh-server", Version: "1:9.2p1-2+deb12u5", Arch: "amd64"}}}, nil
}

func (g *fastGen) holdRuns() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = make(chan struct{})
}

func (g *fastGen) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold != nil {
		close(g.hold)
		g.hold = nil
	}
}

func (g *fastGen) lastSpec() *spec.Spec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.specs) == 0 {
		return nil
	}
	return g.specs[len(g.specs)-1]
}

// testNode is a real Kiln node (API, store, queue with one worker) behind an
// httptest server.
type testNode struct {
	url  string // the API base
	gen  *fastGen
	node *app.Node
}

func startNode(t *testing.T) *testNode { return startNodeWith(t, nil) }

// startNodeWith starts a node whose configuration configure may change.
func startNodeWith(t *testing.T, configure func(*app.Config)) *testNode {
	t.Helper()
	ctx := context.Background()
	gen := &fastGen{}
	cfg := app.Config{DataDir: t.TempDir(), AdminPassword: testAdminPassword, RunWorkers: true,
		Workers: 1, JobTimeout: time.Minute, Generator: gen, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if configure != nil {
		configure(&cfg)
	}
	node, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		gen.release()
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := node.Close(stop); err != nil {
			t.Errorf("close node: %v", err)
		}
	})
	pkgs := []store.Package{
		{Name: "openssh-server", Version: "1:9.2p1-2+deb12u5", Arch: "amd64", Section: "net", Size: 1 << 20},
		{Name: "openssh-client", Version: "1:9.2p1-2+deb12u5", Arch: "amd64", Section: "net", Size: 1 << 20},
		{Name: "nginx", Version: "1.22.1-9", Arch: "amd64", Section: "httpd", Size: 1 << 19},
		{Name: "coreutils", Version: "9.1-1", Arch: "amd64", Section: "utils", Size: 1 << 21},
		{Name: "base-files", Version: "12.4+deb12u5", Arch: "amd64", Section: "admin", Size: 1 << 16},
	}
	if err := node.Store.ReplacePackages(ctx, 2, pkgs, time.Now()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(node.Handler)
	t.Cleanup(srv.Close)
	// No credentials from the developer's environment or home.
	t.Setenv("HOME", t.TempDir())
	for _, v := range []string{"KILN_URL", "KILN_USER", "KILN_PASSWORD", "KILN_PUBLICKEY", "KILN_SECRETKEY", "KILN_CREDENTIALS"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return &testNode{url: srv.URL + "/api", gen: gen, node: node}
}

// as returns the global flags for admin on n.
func (n *testNode) admin() []string {
	return []string{"-a", n.url, "-u", "admin", "-p", testAdminPassword}
}

// kiln runs the command tree with stdin and returns stdout, stderr and the
// error main would print (exit status 2).
func kiln(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// mustKiln runs a command that must succeed.
func mustKiln(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := kiln(t, "", args...)
	if err != nil {
		t.Fatalf("kiln %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// jsonOut runs a command with --output json and decodes stdout into v.
func jsonOut(t *testing.T, v any, args ...string) {
	t.Helper()
	out := mustKiln(t, append(args, "--output", "json")...)
	if !json.Valid([]byte(out)) {
		t.Fatalf("kiln %s: invalid JSON:\n%s", strings.Join(args, " "), out)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("kiln %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCLICatalog(t *testing.T) {
	n := startNode(t)
	out := mustKiln(t, append([]string{"format", "list"}, n.admin()...)...)
	for _, want := range []string{"Builder type", "QCOW2", "qcow2", "Virtual", "OpenStack QCOW2"} {
		if !strings.Contains(out, want) {
			t.Errorf("format list lacks %q:\n%s", want, out)
		}
	}
	var formats []struct {
		Name, Format string
		Access       bool
	}
	jsonOut(t, &formats, append([]string{"format", "list"}, n.admin()...)...)
	if len(formats) < 30 || formats[0].Name != "QCOW2" || !formats[0].Access {
		t.Errorf("formats %+v", formats)
	}

	out = mustKiln(t, append([]string{"os", "list"}, n.admin()...)...)
	if !strings.Contains(out, "Debian") || !strings.Contains(out, "Minimal, Standard") {
		t.Errorf("os list:\n%s", out)
	}
	var dists []struct {
		ID       int64
		Version  string
		Profiles []string
	}
	jsonOut(t, &dists, append([]string{"os", "list"}, n.admin()...)...)
	if len(dists) != 3 || dists[1].Version != "12" || len(dists[1].Profiles) != 2 {
		t.Errorf("dists %+v", dists)
	}

	out = mustKiln(t, append([]string{"os", "search", "--id", "2", "--pkg", "openssh*"}, n.admin()...)...)
	if !strings.Contains(out, "openssh-server") || !strings.Contains(out, "openssh-client") || strings.Contains(out, "nginx") {
		t.Errorf("os search:\n%s", out)
	}
	var pkgs []struct{ Name, Version string }
	jsonOut(t, &pkgs, append([]string{"os", "search", "--id", "2", "--pkg", "nginx"}, n.admin()...)...)
	if len(pkgs) != 1 || pkgs[0].Version != "1.22.1-9" {
		t.Errorf("pkgs %+v", pkgs)
	}
	_, _, err := kiln(t, "", append([]string{"os", "search", "--id", "9", "--pkg", "x"}, n.admin()...)...)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown distribution: %v", err)
	}

	out = mustKiln(t, append([]string{"user", "info"}, n.admin()...)...)
	if !strings.Contains(out, "admin") || !strings.Contains(out, "Roles") {
		t.Errorf("user info:\n%s", out)
	}
}

// Flags win over KILN_* variables, which win over the credentials file: -c,
// else ~/.config/kiln/credentials.yml, else ~/.hammr/credentials.yml|json.
func TestCLICredentialSources(t *testing.T) {
	n := startNode(t)
	home := os.Getenv("HOME")
	login := func(args ...string) (string, error) {
		t.Helper()
		out, errOut, err := kiln(t, "", append([]string{"user", "info", "--output", "json"}, args...)...)
		if err != nil {
			return errOut, err
		}
		var u struct{ Login string }
		if err := json.Unmarshal([]byte(out), &u); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return u.Login, nil
	}
	// A second user, to tell the sources apart.
	mustKiln(t, append([]string{"user", "info"}, n.admin()...)...)
	if _, _, err := n.node.Services.Users.CreateUser(context.Background(), adminPrincipal(t, n), newUser("bob", "bob-secret")); err != nil {
		t.Fatal(err)
	}

	// Nothing at all: every missing part is named.
	_, err := login()
	if err == nil || !strings.Contains(err.Error(), "no server") || !strings.Contains(err.Error(), "no user") || !strings.Contains(err.Error(), "no credentials") {
		t.Fatalf("no settings: %v", err)
	}

	// hammr's JSON file alone.
	writeFile(t, filepath.Join(home, ".hammr", "credentials.json"),
		`{"user":"admin","password":"`+testAdminPassword+`","url":"`+n.url+`","acceptAutoSigned":true}`)
	if who, err := login(); err != nil || who != "admin" {
		t.Fatalf("hammr json: %q %v", who, err)
	}
	// hammr's YAML file comes before its JSON one.
	writeFile(t, filepath.Join(home, ".hammr", "credentials.yml"), "user: bob\npassword: bob-secret\nurl: "+n.url+"\n")
	if who, err := login(); err != nil || who != "bob" {
		t.Fatalf("hammr yml: %q %v", who, err)
	}
	// Kiln's own file comes before hammr's.
	writeFile(t, filepath.Join(home, ".config", "kiln", "credentials.yml"), "user: admin\npassword: wrong\nurl: "+n.url+"\n")
	if _, err := login(); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("kiln file with a wrong password: %v", err)
	}
	// The environment beats the file, and a flag beats the environment.
	t.Setenv("KILN_PASSWORD", "also-wrong")
	if _, err := login(); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("env password: %v", err)
	}
	if who, err := login("-p", testAdminPassword); err != nil || who != "admin" {
		t.Fatalf("flag password: %q %v", who, err)
	}
	t.Setenv("KILN_USER", "bob")
	t.Setenv("KILN_PASSWORD", "bob-secret")
	if who, err := login(); err != nil || who != "bob" {
		t.Fatalf("env user: %q %v", who, err)
	}
	if who, err := login("-u", "admin", "--password", testAdminPassword); err != nil || who != "admin" {
		t.Fatalf("flags: %q %v", who, err)
	}
	os.Unsetenv("KILN_USER")
	os.Unsetenv("KILN_PASSWORD")
	// -c names the file to read, and a missing one is an error.
	c := writeFile(t, filepath.Join(t.TempDir(), "creds.json"), `{"user":"bob","password":"bob-secret","url":"`+n.url+`"}`)
	if who, err := login("-c", c); err != nil || who != "bob" {
		t.Fatalf("-c: %q %v", who, err)
	}
	if _, err := login("-c", filepath.Join(home, "nope.yml")); err == nil || !strings.Contains(err.Error(), "nope.yml") {
		t.Fatalf("-c missing: %v", err)
	}
	// A password and a key pair from one source are refused.
	if _, err := login("-c", c, "-p", "x", "-k", "K", "-s", "S"); err == nil || !strings.Contains(err.Error(), "mutually exclusive") {
		t.Fatalf("password and keys: %v", err)
	}
	// KILN_URL beats the file's url.
	t.Setenv("KILN_URL", "http://127.0.0.1:1/api")
	if _, err := login("-c", c); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("KILN_URL: %v", err)
	}
	if who, err := login("-c", c, "-a", n.url); err != nil || who != "bob" {
		t.Fatalf("-a beats KILN_URL: %q %v", who, err)
	}
	if _, _, err := kiln(t, "", "user", "info", "-c", c, "-a", n.url, "--output", "xml"); err == nil || !strings.Contains(err.Error(), "table or json") {
		t.Fatalf("--output xml: %v", err)
	}
}

// Errors exit with status 2 and the message on stderr (the real main, in a
// child process).
func TestCLIExitCode(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"format list -a http://127.0.0.1:1/api -u a -p b", "kiln: GET users/a/targetformats"},
		{"template info --id 1", "kiln: no server"},
		{"template create --file /nonexistent.json -a http://127.0.0.1:1/api -u a -p b", "nonexistent.json"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestScanExitCode$")
		cmd.Env = append(os.Environ(), "KILN_TEST_MAIN=1", "KILN_TEST_ARGS="+tc.args, "HOME="+t.TempDir(),
			"KILN_URL=", "KILN_USER=", "KILN_PASSWORD=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("%s: exit %v", tc.args, err)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%s: stderr %q, want %q", tc.args, stderr.String(), tc.want)
		}
	}
}

// adminPrincipal signs in as admin with the password: creating users needs it.
func adminPrincipal(t *testing.T, n *testNode) *service.Principal {
	t.Helper()
	p, err := n.node.Services.Users.Authenticate(context.Background(), "admin", testAdminPassword, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newUser(login, password string) service.NewUser {
	return service.NewUser{Login: login, Password: password}
}

const webTemplate = `{
  "stack": {
    "name": "web",
    "version": "1.0",
    "description": "a web server",
    "os": {"name": "Debian", "version": "12", "arch": "x86_64", "profile": "Minimal",
           "pkgs": [{"name": "nginx"}, {"name": "openssh-server", "version": "1:9.2p1-2+deb12u5"}]},
    "installation": {
      "diskSize": 4096, "swapSize": 256, "timezone": "Europe/Paris", "keyboard": "fr",
      "rootUser": {"password": "root-pw", "sshKeys": [{"name": "ops", "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOps ops@laptop"}]},
      "users": [{"name": "ops", "fullName": "Ops", "userId": 1500, "secondaryGroups": "adm", "password": "ops-pw"}],
      "groups": [{"name": "web", "groupId": 1600}]
    },
    "bundles": [{"name": "wordpress", "version": "3.5", "files": []}],
    "config": [{"name": "first.sh", "source": "first.sh", "type": "bootscript", "frequency": "firstboot"}]
  },
  "builders": [{"type": "QCOW2", "hardwareSettings": {"memory": 1024}, "installation": {"diskSize": 3072}}]
}`

func TestCLITemplates(t *testing.T) {
	n := startNode(t)
	g := n.admin()
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "web.json"), webTemplate)

	out, errOut, err := kiln(t, "", append([]string{"template", "create", "--file", file}, g...)...)
	if err != nil {
		t.Fatalf("create: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "Template Id : 1") {
		t.Errorf("create stdout:\n%s", out)
	}
	for _, want := range []string{`Warning: stack.bundles ("wordpress")`, `Warning: stack.config ("first.sh")`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("create stderr lacks %q:\n%s", want, errOut)
		}
	}
	// What the server now holds.
	var info struct {
		ID         int64
		Name       string
		OS         string
		Profile    string
		DiskSizeMB int64
		SwapSizeMB int64
		Timezone   string
		Keyboard   string
		Users      []string
		Packages   []struct{ Name, Version string }
	}
	jsonOut(t, &info, append([]string{"template", "info", "--id", "1"}, g...)...)
	if info.Name != "web" || info.OS != "Debian 12 x86_64" || info.Profile != "Minimal" || info.DiskSizeMB != 4096 ||
		info.SwapSizeMB != 256 || info.Timezone != "Europe/Paris" || info.Keyboard != "fr" || len(info.Users) != 1 || len(info.Packages) != 2 {
		t.Errorf("info %+v", info)
	}
	out = mustKiln(t, append([]string{"template", "info", "--id", "1"}, g...)...)
	if !strings.Contains(out, "nginx") || !strings.Contains(out, "Europe/Paris") {
		t.Errorf("info table:\n%s", out)
	}

	// The same again: the server refuses the duplicate, nothing half-made stays.
	if _, _, err := kiln(t, "", append([]string{"template", "create", "--file", file}, g...)...); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate: %v", err)
	}
	// A package the mirror lacks: the appliance is created, then removed again.
	bad := writeFile(t, filepath.Join(dir, "bad.yml"), "stack:\n  name: bad\n  version: 1\n  os: {name: Debian, version: 12, arch: x86_64, profile: Minimal, pkgs: [{name: no-such-pkg}]}\n")
	if _, _, err := kiln(t, "", append([]string{"template", "create", "--file", bad}, g...)...); err == nil ||
		!strings.Contains(err.Error(), "no-such-pkg") || !strings.Contains(err.Error(), "the template was not created") {
		t.Errorf("unknown package: %v", err)
	}
	// hammr's own example (contract §9): CentOS is refused by name.
	t.Run("hammr example", func(t *testing.T) {
		centos := filepath.Join(xsdtest.Reference(t, "hammr-examples"), "template", "base-template.json")
		if _, _, err := kiln(t, "", append([]string{"template", "create", "--file", centos}, g...)...); err == nil ||
			!strings.Contains(err.Error(), `distribution "CentOS 6.4 x86_64" is not offered`) {
			t.Errorf("CentOS: %v", err)
		}
	})

	// clone, list
	out = mustKiln(t, append([]string{"template", "clone", "--id", "1", "--name", "web2", "--version", "2.0"}, g...)...)
	if !strings.Contains(out, "cloned as 'web2'") {
		t.Errorf("clone:\n%s", out)
	}
	var list []struct {
		ID            int64
		Name, Version string
		OS            string
	}
	jsonOut(t, &list, append([]string{"template", "list"}, g...)...)
	if len(list) != 2 || list[1].Name != "web2" || list[1].OS != "Debian 12 x86_64" {
		t.Fatalf("list %+v", list)
	}
	out = mustKiln(t, append([]string{"template", "list"}, g...)...)
	if !strings.Contains(out, "web2") || !strings.Contains(out, "Found 2 templates") {
		t.Errorf("list:\n%s", out)
	}

	// export, then create from the export under another name: same content.
	exp := filepath.Join(dir, "export.yml")
	mustKiln(t, append([]string{"template", "export", "--id", "1", "--file", exp}, g...)...)
	data, _ := os.ReadFile(exp)
	for _, want := range []string{"name: web", `version: "12"`, "profile: Minimal", "nginx", "timezone: Europe/Paris", "$6$"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("export lacks %q:\n%s", want, data)
		}
	}
	if _, _, err := kiln(t, "", append([]string{"template", "export", "--id", "1", "--file", exp}, g...)...); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("export over a file: %v", err)
	}
	re := strings.Replace(string(data), "name: web\n", "name: web-again\n", 1)
	writeFile(t, exp, re)
	mustKiln(t, append([]string{"template", "create", "--file", exp}, g...)...)
	var again struct {
		Name       string
		DiskSizeMB int64
		Users      []string
		Packages   []struct{ Name string }
	}
	jsonOut(t, &list, append([]string{"template", "list"}, g...)...)
	againID := strconv.FormatInt(list[len(list)-1].ID, 10)
	jsonOut(t, &again, append([]string{"template", "info", "--id", againID}, g...)...)
	if again.Name != "web-again" || again.DiskSizeMB != 4096 || len(again.Users) != 1 || len(again.Packages) != 2 {
		t.Errorf("re-created %+v\n%s", again, re)
	}

	// delete: asks first; no answer (or no) deletes nothing.
	web2 := strconv.FormatInt(list[1].ID, 10)
	if _, _, err := kiln(t, "", append([]string{"template", "delete", "--id", web2}, g...)...); err == nil || !strings.Contains(err.Error(), "not confirmed") {
		t.Errorf("delete without answer: %v", err)
	}
	if _, _, err := kiln(t, "n\n", append([]string{"template", "delete", "--id", web2}, g...)...); err == nil {
		t.Error("delete answered no")
	}
	out, errOut, err = kiln(t, "y\n", append([]string{"template", "delete", "--id", web2}, g...)...)
	if err != nil || !strings.Contains(errOut, "Do you really want to delete template with id "+web2+" (web2 2.0)?") || !strings.Contains(out, "Template "+web2+" deleted") {
		t.Errorf("delete yes: %v\n%s\n%s", err, out, errOut)
	}
	mustKiln(t, append([]string{"template", "delete", "--id", againID, "--no-prompt"}, g...)...)
	jsonOut(t, &list, append([]string{"template", "list"}, g...)...)
	if len(list) != 1 || list[0].ID != 1 {
		t.Errorf("after delete %+v", list)
	}
	if _, _, err := kiln(t, "", append([]string{"template", "info", "--id", web2}, g...)...); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("info of a deleted template: %v", err)
	}
}

type imageRow struct {
	ID           int64
	Name         string
	Revision     int
	TargetFormat string
	Status       string
	Percentage   int
	Compressed   bool
	Source       string
	SHA256       string
	URI          string
}

func listImages(t *testing.T, n *testNode) []imageRow {
	t.Helper()
	var rows []imageRow
	jsonOut(t, &rows, append([]string{"image", "list"}, n.admin()...)...)
	return rows
}

// waitImage waits until an image satisfies ok.
func waitImage(t *testing.T, n *testNode, ok func(imageRow) bool) imageRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range listImages(t, n) {
			if ok(r) {
				return r
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no image as wanted: %+v", listImages(t, n))
	return imageRow{}
}

// fastPolls makes the commands poll every 20 ms and hands Ctrl-C to the test.
func fastPolls(t *testing.T) chan os.Signal {
	sigs := make(chan os.Signal, 4)
	oldPoll, oldNotify := pollInterval, notifyInterrupts
	pollInterval = 20 * time.Millisecond
	notifyInterrupts = func() (<-chan os.Signal, func()) { return sigs, func() {} }
	t.Cleanup(func() { pollInterval, notifyInterrupts = oldPoll, oldNotify })
	return sigs
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// create → build (QCOW2) → download (checksum verified) → regenerate → delete.
func TestCLIBuildAndImages(t *testing.T) {
	n := startNode(t)
	sigs := fastPolls(t)
	g := n.admin()
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "web.json"), webTemplate)
	mustKiln(t, append([]string{"template", "create", "--file", file}, g...)...)

	// Found by the stack's name and version; the builder's disk size applies.
	out, errOut, err := kiln(t, "", append([]string{"template", "build", "--file", file}, g...)...)
	if err != nil {
		t.Fatalf("build: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "Generation 'QCOW2' ok") || !strings.Contains(out, "Image Id : 1") {
		t.Errorf("build stdout:\n%s", out)
	}
	if !strings.Contains(errOut, "QCOW2:   0% Generation queued") || !strings.Contains(errOut, "QCOW2: 100% Generation complete") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}
	if sp := n.gen.lastSpec(); sp == nil || sp.Install.Disk.SizeMB != 3072 || sp.Output.MemoryMB != 1024 || !sp.Output.Compress {
		t.Errorf("spec %+v", sp)
	}
	imgs := listImages(t, n)
	if len(imgs) != 1 || imgs[0].Status != "complete" || !imgs[0].Compressed || imgs[0].TargetFormat != "QCOW2" || imgs[0].Source != "template" {
		t.Fatalf("images %+v", imgs)
	}
	out = mustKiln(t, append([]string{"image", "list"}, g...)...)
	if !strings.Contains(out, "Done") || !strings.Contains(out, "QCOW2") {
		t.Errorf("image list:\n%s", out)
	}
	out = mustKiln(t, append([]string{"image", "info", "--id", "1"}, g...)...)
	if !strings.Contains(out, "web 1.0 (template 1)") || !strings.Contains(out, "Debian 12 x86_64") || !strings.Contains(out, "Done") {
		t.Errorf("image info:\n%s", out)
	}

	if _, _, err := kiln(t, "", append([]string{"image", "fidelity", "--id", "1"}, g...)...); err == nil || !strings.Contains(err.Error(), "only images of scans") {
		t.Errorf("fidelity of a template image: %v", err)
	}

	// Download, checked; then into a directory under the server's name.
	img := filepath.Join(dir, "web.qcow2")
	out, errOut, err = kiln(t, "", append([]string{"image", "download", "--id", "1", "--file", img}, g...)...)
	if err != nil {
		t.Fatalf("download: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "checksum verified") || !strings.Contains(errOut, "Downloading:") {
		t.Errorf("download output:\n%s\n%s", out, errOut)
	}
	if got := fileSHA(t, img); got != imgs[0].SHA256 {
		t.Errorf("downloaded sha %s, image %s", got, imgs[0].SHA256)
	}
	var dl struct {
		File   string
		Size   int64
		SHA256 string
	}
	jsonOut(t, &dl, append([]string{"image", "download", "--id", "1", "--file", dir}, g...)...)
	if filepath.Dir(dl.File) != dir || !strings.HasSuffix(dl.File, ".qcow2") || dl.SHA256 != imgs[0].SHA256 || fileSHA(t, dl.File) != dl.SHA256 {
		t.Errorf("download into a directory: %+v", dl)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*part*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Regenerate: a new image, revision 2.
	out = mustKiln(t, append([]string{"image", "regenerate", "--id", "1"}, g...)...)
	if !strings.Contains(out, "Regenerating image 1 as image 2 (revision 2)") || !strings.Contains(out, "Generation 'QCOW2' ok") {
		t.Errorf("regenerate:\n%s", out)
	}
	if imgs = listImages(t, n); len(imgs) != 2 || imgs[1].Revision != 2 || imgs[1].Status != "complete" {
		t.Errorf("after regenerate %+v", imgs)
	}
	// Reproduce: the stored plan of image 1 executed again, as image 3.
	out = mustKiln(t, append([]string{"image", "regenerate", "--id", "1", "--reproduce"}, g...)...)
	if !strings.Contains(out, "Regenerating image 1 as image 3 (revision 3)") {
		t.Errorf("regenerate --reproduce:\n%s", out)
	}
	if first, third := n.gen.planOf(0), n.gen.planOf(2); first == nil || third == nil || first.Disk.DiskGUID != third.Disk.DiskGUID {
		t.Errorf("reproduce did not execute the first image's plan")
	}
	mustKiln(t, append([]string{"image", "delete", "--id", "3", "--no-prompt"}, g...)...)

	// Several builders, JSON output; a builder file and --id.
	builders := writeFile(t, filepath.Join(dir, "builders.yml"), `builders:
  - type: QCOW2
    hardwareSettings: {memory: 512}
  - type: raw
    hardwareSettings: {memory: 512}
`)
	var results []struct {
		Type, TargetFormat, Status string
		ImageID                    int64
	}
	out, errOut, err = kiln(t, "", append([]string{"template", "build", "--id", "1", "--file", builders, "--output", "json"}, g...)...)
	if err != nil || json.Unmarshal([]byte(out), &results) != nil {
		t.Fatalf("build json: %v\n%s\n%s", err, out, errOut)
	}
	if len(results) != 2 || results[1].TargetFormat != "Raw Virtual Disk" || results[0].Status != "complete" || results[1].Status != "complete" {
		t.Errorf("results %+v", results)
	}
	if !strings.Contains(errOut, `type "raw" taken as the target format "Raw Virtual Disk"`) {
		t.Errorf("no note on the inexact type:\n%s", errOut)
	}

	// Delete asks; --no-prompt does not.
	if _, _, err := kiln(t, "", append([]string{"image", "delete", "--id", "2"}, g...)...); err == nil {
		t.Error("delete without confirmation")
	}
	mustKiln(t, append([]string{"image", "delete", "--id", "2", "--no-prompt"}, g...)...)
	for _, r := range listImages(t, n) {
		if r.ID == 2 {
			t.Error("image 2 still listed")
		}
	}

	// Ctrl-C during a build, stdin not a terminal: cancelled without asking.
	n.gen.holdRuns()
	done := make(chan error, 1)
	var buildOut, buildErr string
	go func() {
		var err error
		buildOut, buildErr, err = kiln(t, "", append([]string{"template", "build", "--id", "1", "--file", file}, g...)...)
		done <- err
	}()
	running := waitImage(t, n, func(r imageRow) bool { return r.Status == "running" && r.Percentage >= 20 })
	sigs <- os.Interrupt
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("build did not end after Ctrl-C")
	}
	if err == nil || !strings.Contains(err.Error(), "generation cancelled") || !strings.Contains(buildErr, "Cancelling the generation") ||
		!strings.Contains(buildOut, "Generation 'QCOW2' is canceled") {
		t.Errorf("Ctrl-C: %v\n%s\n%s", err, buildOut, buildErr)
	}
	waitImage(t, n, func(r imageRow) bool { return r.ID == running.ID && r.Status == "cancelled" })

	// image cancel, from another command, while a build follows the generation.
	go func() {
		var err error
		buildOut, buildErr, err = kiln(t, "", append([]string{"template", "build", "--id", "1", "--file", file}, g...)...)
		done <- err
	}()
	running = waitImage(t, n, func(r imageRow) bool { return r.Status == "running" && r.Percentage >= 20 })
	id := strconv.FormatInt(running.ID, 10)
	mustKiln(t, append([]string{"image", "cancel", "--id", id, "--no-prompt"}, g...)...)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("build after image cancel: %v\n%s", err, buildErr)
	}
	if _, _, err := kiln(t, "", append([]string{"image", "cancel", "--id", id, "--no-prompt"}, g...)...); err == nil || !strings.Contains(err.Error(), "nothing to cancel") {
		t.Errorf("cancel twice: %v", err)
	}
	if _, _, err := kiln(t, "", append([]string{"image", "download", "--id", id, "--file", img}, g...)...); err == nil || !strings.Contains(err.Error(), "not complete") {
		t.Errorf("download of a cancelled image: %v", err)
	}
	n.gen.release()

	// A failed generation: exit 2, the error on stderr.
	n.gen.mu.Lock()
	n.gen.fail = "mmdebstrap exploded"
	n.gen.mu.Unlock()
	out, errOut, err = kiln(t, "", append([]string{"template", "build", "--id", "1", "--file", file}, g...)...)
	if err == nil || !strings.Contains(err.Error(), "failed") || !strings.Contains(errOut, "Generation 'QCOW2' error") || !strings.Contains(errOut, "mmdebstrap exploded") {
		t.Errorf("failed build: %v\n%s\n%s", err, out, errOut)
	}

	// Mistakes in the file are found before anything is generated.
	before := len(listImages(t, n))
	bad := writeFile(t, filepath.Join(dir, "bad.json"), `{"builders":[{"type":"QCOW2","hardwareSettings":{"memory":512}},{"type":"VMware vCenter"}]}`)
	if _, _, err := kiln(t, "", append([]string{"template", "build", "--id", "1", "--file", bad}, g...)...); err == nil || !strings.Contains(err.Error(), "no hardwareSettings part for builder [VMware vCenter]") {
		t.Errorf("bad builder: %v", err)
	}
	bad = writeFile(t, filepath.Join(dir, "bad2.json"), `{"builders":[{"type":"Atari ST"}]}`)
	if _, _, err := kiln(t, "", append([]string{"template", "build", "--id", "1", "--file", bad}, g...)...); err == nil || !strings.Contains(err.Error(), `Builder type unknown: "Atari ST"`) {
		t.Errorf("unknown builder: %v", err)
	}
	if _, _, err := kiln(t, "", append([]string{"template", "build", "--id", "99", "--file", builders}, g...)...); err == nil || !strings.Contains(err.Error(), "No template found with id 99") {
		t.Errorf("unknown template: %v", err)
	}
	if after := len(listImages(t, n)); after != before {
		t.Errorf("%d images generated by refused builds", after-before)
	}
}

// scan run on a local root → scan list → scan build → scan delete.
func TestCLIScans(t *testing.T) {
	n := startNode(t)
	fastPolls(t)
	g := n.admin()
	root := scanRoot(t)

	out, errOut, err := kiln(t, "", append([]string{"scan", "run", "--name", "web01", "--overlay", "--root", root, "-e", "/srv/cache"}, g...)...)
	if err != nil {
		t.Fatalf("scan run: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "Scan successful") || !strings.Contains(out, "Scan Id : ") || !strings.Contains(errOut, "overlay: ") {
		t.Errorf("scan run output:\n%s\n%s", out, errOut)
	}
	// hammr's rule: an instance is scanned with overlay or without, not both.
	if _, _, err := kiln(t, "", append([]string{"scan", "run", "--name", "web01", "--root", root}, g...)...); err == nil ||
		err.Error() != "Performing regular scan into the scanned instance [web01] is not allowed" {
		t.Errorf("overlay rule: %v", err)
	}

	var instances []struct {
		ID           int64
		Name         string
		Distribution string
		Overlay      bool
		Scans        []struct {
			ID     int64
			Status string
		}
	}
	jsonOut(t, &instances, append([]string{"scan", "list"}, g...)...)
	if len(instances) != 1 || instances[0].Name != "web01" || !instances[0].Overlay || instances[0].Distribution != "Debian 12 x86_64" ||
		len(instances[0].Scans) != 1 || instances[0].Scans[0].Status != "Done" {
		t.Fatalf("scan list %+v", instances)
	}
	sid := strconv.FormatInt(instances[0].Scans[0].ID, 10)
	out = mustKiln(t, append([]string{"scan", "list"}, g...)...)
	if !strings.Contains(out, "web01") || !strings.Contains(out, "Done") || !strings.Contains(out, "X") {
		t.Errorf("scan list table:\n%s", out)
	}

	// scan build: diskSize and memory are required in every builder.
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "bad.json"), `{"builders":[{"type":"QCOW2","hardwareSettings":{"memory":1024}}]}`)
	if _, _, err := kiln(t, "", append([]string{"scan", "build", "--id", sid, "--file", bad}, g...)...); err == nil || !strings.Contains(err.Error(), "needs installation.diskSize") {
		t.Errorf("scan build without diskSize: %v", err)
	}
	builders := writeFile(t, filepath.Join(dir, "scan.json"), `{"builders":[{"type":"QCOW2","hardwareSettings":{"memory":1024},"installation":{"diskSize":5000}}]}`)
	out, errOut, err = kiln(t, "", append([]string{"scan", "build", "--id", sid, "--file", builders}, g...)...)
	if err != nil || !strings.Contains(out, "Generation 'QCOW2' ok") {
		t.Fatalf("scan build: %v\n%s\n%s", err, out, errOut)
	}
	if sp := n.gen.lastSpec(); sp == nil || sp.Overlay == nil || sp.Install.Disk.SizeMB != 5000 || sp.Output.MemoryMB != 1024 {
		t.Errorf("scan spec %+v", sp)
	}
	imgs := listImages(t, n)
	if len(imgs) != 1 || imgs[0].Source != "scan" || imgs[0].Status != "complete" {
		t.Fatalf("images %+v", imgs)
	}
	id := strconv.FormatInt(imgs[0].ID, 10)
	out = mustKiln(t, append([]string{"image", "info", "--id", id}, g...)...)
	if !strings.Contains(out, "web01 (scanned instance") {
		t.Errorf("image info of a scan image:\n%s", out)
	}
	file := filepath.Join(dir, "scan.qcow2")
	mustKiln(t, append([]string{"image", "download", "--id", id, "--file", file}, g...)...)
	if fileSHA(t, file) != imgs[0].SHA256 {
		t.Error("scan image checksum")
	}
	// A scan image regenerates from its stored plan: a new image of the scan.
	out = mustKiln(t, append([]string{"image", "regenerate", "--id", id}, g...)...)
	if !strings.Contains(out, "(revision 2)") {
		t.Errorf("regenerate a scan image:\n%s", out)
	}
	mustKiln(t, append([]string{"image", "delete", "--id", id, "--no-prompt"}, g...)...)

	// A second scan, then delete: the scan, the instance's scans, everything.
	mustKiln(t, append([]string{"scan", "run", "--name", "web01", "-o", "--root", root}, g...)...)
	mustKiln(t, append([]string{"scan", "run", "--name", "db01", "--root", root}, g...)...)
	if _, _, err := kiln(t, "n\n", append([]string{"scan", "delete", "--id", sid}, g...)...); err == nil {
		t.Error("delete answered no")
	}
	mustKiln(t, append([]string{"scan", "delete", "--id", sid, "--no-prompt"}, g...)...)
	jsonOut(t, &instances, append([]string{"scan", "list"}, g...)...)
	if len(instances) != 2 || len(instances[0].Scans) != 1 || strconv.FormatInt(instances[0].Scans[0].ID, 10) == sid {
		t.Fatalf("after scan delete %+v", instances)
	}
	iid := strconv.FormatInt(instances[0].ID, 10)
	out, errOut, err = kiln(t, "y\n", append([]string{"scan", "delete", "--id", iid, "--scantype", "instance", "--scansonly"}, g...)...)
	if err != nil || !strings.Contains(errOut, "Do you really want to delete the 1 scans of scanned instance") {
		t.Fatalf("delete scans only: %v\n%s\n%s", err, out, errOut)
	}
	jsonOut(t, &instances, append([]string{"scan", "list"}, g...)...)
	if len(instances) != 2 || len(instances[0].Scans) != 0 {
		t.Fatalf("after --scansonly %+v", instances)
	}
	mustKiln(t, append([]string{"scan", "delete", "--id", iid, "--scantype", "instance", "--no-prompt"}, g...)...)
	mustKiln(t, append([]string{"scan", "delete", "--scantype", "all", "--no-prompt"}, g...)...)
	out = mustKiln(t, append([]string{"scan", "list"}, g...)...)
	if !strings.Contains(out, "No scans") {
		t.Errorf("after delete all:\n%s", out)
	}
}
