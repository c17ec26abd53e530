package cli

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/uforge"
)

// --ca-cert (or KILN_CA_CERT) makes the client trust an https server whose
// certificate that CA signed; without it the server is refused.
func TestResolveCACert(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"serviceStatus":{"alive":true,"version":"3.8.13"}}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	flags := Flags{URL: srv.URL + "/api", User: "u", Password: "p"}
	status := func(s *Settings) error {
		return NewClient(s, "test").Do(context.Background(), "GET", "status", nil, nil, &uforge.ServiceStatus{})
	}

	s, _, err := Resolve(flags, getenv, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := status(s); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an unknown CA was trusted: %v", err)
	}
	for _, from := range []string{"flag", "environment"} {
		f := flags
		if from == "flag" {
			f.CACert = ca
		} else {
			env["KILN_CA_CERT"] = ca
		}
		s, _, err := Resolve(f, getenv, dir)
		if err != nil || s.CACert != ca {
			t.Fatalf("%s: %+v %v", from, s, err)
		}
		if err := status(s); err != nil {
			t.Errorf("CA from the %s: %v", from, err)
		}
	}

	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{notPEM: "no PEM certificate", filepath.Join(dir, "none.pem"): "--ca-cert"} {
		f := flags
		f.CACert = file
		if _, _, err := Resolve(f, getenv, dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--ca-cert %s: %v, want %q", file, err, want)
		}
	}
}
