package scan

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestPreflightOK(t *testing.T) {
	r := buildDebianRoot(t)
	checks, err := Preflight(context.Background(), r.dir, PreflightOptions{TempDir: t.TempDir(), MinTempFree: 1})
	if err != nil {
		t.Fatalf("Preflight: %v\n%s", err, checks)
	}
	out := checks.String()
	for _, want := range []string{
		"[OK  ] scan root: " + r.dir + " is readable\n",
		"[OK  ] dpkg database: 6 installed packages\n",
		"[OK  ] distribution: Debian GNU/Linux 12 (bookworm) (debian 12 amd64)\n",
		"[OK  ] privileges: protected files are readable\n",
		"[OK  ] temporary space: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPreflightFailures(t *testing.T) {
	r := buildDebianRoot(t)
	r.write("/etc/os-release", "ID=debian\nVERSION_ID=10\nVERSION_CODENAME=buster\n")
	if err := os.Remove(r.host("/etc/shadow")); err != nil {
		t.Fatal(err)
	}
	checks, err := Preflight(context.Background(), r.dir, PreflightOptions{TempDir: t.TempDir(), MinTempFree: 1 << 60})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
	out := checks.String()
	for _, want := range []string{
		"[FAIL] distribution: unsupported system: debian 10 (buster) is not supported",
		"[WARN] privileges: cannot read /etc/shadow",
		"[FAIL] temporary space: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(err.Error(), "temporary space") || strings.Contains(err.Error(), "privileges") {
		t.Errorf("err = %v: want the blocking failures only", err)
	}

	empty := t.TempDir()
	checks, err = Preflight(context.Background(), empty, PreflightOptions{TempDir: t.TempDir(), MinTempFree: 1})
	if err == nil || !strings.Contains(checks.String(), "[FAIL] dpkg database") {
		t.Errorf("empty root: err %v\n%s", err, checks)
	}
	if _, err := Preflight(context.Background(), "/nonexistent/root", PreflightOptions{}); err == nil {
		t.Error("missing root accepted")
	}
}
