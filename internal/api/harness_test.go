package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge/xsdtest"
)

const adminPassword = "admin-secret"

// env is one API server on a fresh SQLite database, with a small package index
// for Debian 12 (distribution 2).
type env struct {
	t   *testing.T
	srv *httptest.Server
	xml map[string][]byte // every XML answer, validated against uforge.xsd at the end
	st  *store.SQL
	svc *service.Services
	gen *standIn
	dir string // the data directory (database, uploads, artifacts)
}

// newEnv starts the server; opts change its configuration first.
func newEnv(t *testing.T, opts ...func(*app.Config)) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gen := &standIn{}
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, APIVersion: "3.8.13", MaxBodyBytes: 64 << 10,
		PublicURL: "http://kiln.test/api", AdminPassword: adminPassword, RunWorkers: true, Workers: 2,
		JobTimeout: time.Minute, Generator: gen, Logger: log}
	for _, o := range opts {
		o(&cfg)
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
		{Name: "openssh-server", Version: "1:9.2p1-2+deb12u3", Arch: "amd64", Section: "net", Size: 1 << 20},
		{Name: "openssh-server", Version: "1:9.2p1-2+deb12u5", Arch: "amd64", Section: "net", Size: 1 << 20},
		{Name: "nginx", Version: "1.22.1-9", Arch: "amd64", Section: "httpd", Size: 1 << 19},
		{Name: "nginx-common", Version: "1.22.1-9", Arch: "all", Section: "httpd", Size: 1 << 18},
		{Name: "vim", Version: "2:9.0.1378-2", Arch: "amd64", Section: "editors", Size: 3 << 20},
	}
	if err := node.Store.ReplacePackages(ctx, 2, pkgs, time.Now()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: node.Store, svc: node.Services, gen: gen, dir: dir, xml: map[string][]byte{}}
	// One xmllint run per test validates every XML document the test received.
	t.Cleanup(func() {
		if len(e.xml) > 0 {
			xsdtest.ValidateAll(t, e.xml)
		}
	})
	e.srv = httptest.NewServer(node.Handler)
	t.Cleanup(e.srv.Close)
	return e
}

// client sends requests as one user in one representation.
type client struct {
	e          *env
	user, pass string
	json       bool // Accept and Content-Type JSON instead of XML
	unsized    bool // bodies go without a Content-Length (chunked)
}

func (e *env) as(user, pass string) *client { return &client{e: e, user: user, pass: pass} }
func (e *env) admin() *client               { return e.as("admin", adminPassword) }
func (e *env) anonymous() *client           { return &client{e: e} }

func (c *client) withJSON() *client { d := *c; d.json = true; return &d }

// withoutLength sends bodies chunked: only the server's own count can stop them.
func (c *client) withoutLength() *client { d := *c; d.unsized = true; return &d }

// reply is a response, with its body read.
type reply struct {
	t      *testing.T
	status int
	header http.Header
	body   string
}

// do sends method path with body (XML or JSON as the client speaks) and
// validates every XML answer against uforge.xsd.
func (c *client) do(method, path, body string) *reply {
	c.e.t.Helper()
	return c.doRaw(method, path, body, nil)
}

func (c *client) doRaw(method, path, body string, hdr map[string]string) *reply {
	t := c.e.t
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	if c.unsized && rd != nil {
		rd = io.MultiReader(rd) // a reader of unknown length
	}
	req, err := http.NewRequest(method, c.e.srv.URL+"/api"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	if c.json {
		req.Header.Set("Accept", "application/json")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
	} else if body != "" {
		req.Header.Set("Content-Type", "application/xml")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &reply{t: t, status: resp.StatusCode, header: resp.Header, body: string(b)}
	ct := resp.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/xml") && len(b) > 0:
		c.e.xml[fmt.Sprintf("%03d %s %s", len(c.e.xml), method, path)] = b
	case strings.HasPrefix(ct, "application/json") && len(b) > 0:
		if !json.Valid(b) {
			t.Fatalf("%s %s: invalid JSON: %s", method, path, b)
		}
		if strings.Contains(r.body, "null") && strings.Contains(r.body, ":null") {
			t.Fatalf("%s %s: JSON has nulls: %s", method, path, b)
		}
	}
	return r
}

// expect fails unless the status is want.
func (r *reply) expect(want int) *reply {
	r.t.Helper()
	if r.status != want {
		r.t.Fatalf("status %d, want %d; body: %s", r.status, want, r.body)
	}
	return r
}

// has fails unless the body contains every fragment.
func (r *reply) has(fragments ...string) *reply {
	r.t.Helper()
	for _, f := range fragments {
		if !strings.Contains(r.body, f) {
			r.t.Fatalf("body lacks %q:\n%s", f, r.body)
		}
	}
	return r
}

// lacks fails if the body contains any fragment.
func (r *reply) lacks(fragments ...string) *reply {
	r.t.Helper()
	for _, f := range fragments {
		if strings.Contains(r.body, f) {
			r.t.Fatalf("body has %q:\n%s", f, r.body)
		}
	}
	return r
}

// uforgeError checks an error body: status, message id and a message fragment.
func (r *reply) uforgeError(status int, msgFragment string) *reply {
	r.t.Helper()
	r.expect(status)
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		var v struct {
			E struct {
				Msg struct {
					Message   string `json:"message"`
					MessageID string `json:"messageId"`
				} `json:"localizedErrorMsg"`
				Method string `json:"requestMethod"`
				URI    string `json:"requestUri"`
				Status int    `json:"statusCode"`
			} `json:"uforgeError"`
		}
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			r.t.Fatalf("error body is not a uforgeError: %v: %s", err, r.body)
		}
		if v.E.Status != status || v.E.Msg.MessageID == "" || v.E.Method == "" || v.E.URI == "" ||
			!strings.Contains(v.E.Msg.Message, msgFragment) {
			r.t.Fatalf("bad uforgeError (want %d, %q): %s", status, msgFragment, r.body)
		}
		return r
	}
	r.has("<ns0:uforgeError", "<statusCode>"+itoa(status)+"</statusCode>", "<messageId>", "<requestMethod>", "<requestUri>", msgFragment)
	return r
}

func itoa(n int) string { return strconv.Itoa(n) }

// field extracts the text of the first <name> element (XML) — enough for ids and uris.
func (r *reply) field(name string) string {
	r.t.Helper()
	open, close := "<"+name+">", "</"+name+">"
	i := strings.Index(r.body, open)
	if i < 0 {
		r.t.Fatalf("no <%s> in %s", name, r.body)
	}
	rest := r.body[i+len(open):]
	return rest[:strings.Index(rest, close)]
}

// jsonValue decodes a JSON body.
func (r *reply) jsonValue() map[string]any {
	r.t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		r.t.Fatalf("not JSON: %v: %s", err, r.body)
	}
	return v
}

const ns = `xmlns:ns0="http://www.usharesoft.com/uforge"`
