package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The appliance of these tests: Debian 12 "Minimal" with openssh-server, the
// reference install profile (see examples/reference.yaml), a 2 GiB disk.
const installProfile = `{"installProfile":{"diskSize":2048,"timezone":"Europe/Paris",
	"rootUser":{"password":"kiln"},
	"users":{"user":[{"name":"ops","fullName":"Operations","sudo":1,"sshKeys":{"sshKey":[{"name":"ops",
	"publicKey":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwnto+7UVMHlu6jY3uHe2e3WWElOOxKjBAJB0ee/Oea ops@kiln-ref (throwaway)"}]}}]}}}`

const qcow2Request = `{"image":{"compress":true,"targetFormat":{"name":"QCOW2"},"installProfile":{"memorySize":1024}}}`

func createAppliance(t *testing.T, s *server, name string) int64 {
	t.Helper()
	var a struct{ Appliance struct{ DBID int64 } }
	body := `{"appliance":{"name":"` + name + `","version":"1.0","distributionUri":"distributions/2",
		"osProfile":{"standardProfileUri":"distributions/2/profiles/3"}}}`
	if code := s.call("POST", "/users/admin/appliances", body, &a); code != 201 {
		t.Fatalf("create appliance: %d", code)
	}
	aid := a.Appliance.DBID
	if code := s.call("PUT", fmt.Sprintf("/users/admin/appliances/%d/installProfile", aid), installProfile, nil); code != 200 {
		t.Fatalf("install profile: %d", code)
	}
	// The package index is read from the mirror at start: retry until it is there.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		code := s.call("PUT", fmt.Sprintf("/users/admin/appliances/%d/osprofile/%d/pkgs", aid, aid),
			`{"packages":{"pkgs":{"pkg":[{"name":"openssh-server"}]}}}`, nil)
		if code == 200 {
			return aid
		}
		if code != 503 || time.Now().After(deadline) {
			t.Fatalf("add openssh-server: %d", code)
		}
		time.Sleep(3 * time.Second)
	}
}

// TestE2EImageLifecycle: generate (QCOW2, compress) → poll as hammr does →
// download with the downloadId and no credentials → the same key is refused →
// qemu-img check passes → regenerate gives a new id with the same spec →
// cancel a running generation → nothing left behind.
func TestE2EImageLifecycle(t *testing.T) {
	bin := kilnBinary(t)
	s := startServer(t, bin, t.TempDir(), freePort(t))
	defer s.stop()
	aid := createAppliance(t, s, "kiln-ref")

	img := s.generate(aid, qcow2Request)
	if img.Status.Complete || img.Status.Error || img.DownloadKey == "" || img.Revision != 1 {
		t.Fatalf("ticket = %+v", img)
	}
	st := s.poll(img, 45*time.Minute, status.terminal)
	if !st.Complete {
		t.Fatalf("generation ended %+v", st)
	}
	var got struct{ Image image }
	s.call("GET", "/"+img.URI, "", &got)
	key := got.Image.DownloadKey

	// Download without credentials, as hammr does: base + "/" + downloadUri.
	file := filepath.Join(t.TempDir(), "image.qcow2")
	resp, err := http.Get(s.base + "/" + got.Image.DownloadURI)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != fmt.Sprint(got.Image.FileSize) {
		t.Fatalf("download: %d, Content-Length %q, fileSize %d", resp.StatusCode, resp.Header.Get("Content-Length"), got.Image.FileSize)
	}
	f, _ := os.Create(file)
	n, err := io.Copy(f, resp.Body)
	resp.Body.Close()
	f.Close()
	if err != nil || n != got.Image.FileSize {
		t.Fatalf("downloaded %d bytes: %v", n, err)
	}
	again, _ := http.Get(s.base + "/" + got.Image.DownloadURI)
	again.Body.Close()
	if again.StatusCode != http.StatusNotFound { // every bad download link gets the same 404
		t.Fatalf("the used key answered %d", again.StatusCode)
	}
	if out, err := exec.Command("qemu-img", "check", "-f", "qcow2", file).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img check: %v\n%s", err, out)
	}
	_ = key

	// Regenerate: a new id, revision 2, from the same request (warm: the base is cached).
	var regen struct{ Image image }
	if code := s.call("POST", fmt.Sprintf("/%s", img.URI), "", &regen); code != 201 {
		t.Fatalf("regenerate: %d", code)
	}
	if regen.Image.DBID == img.DBID || regen.Image.Revision != 2 {
		t.Fatalf("regenerated image = %+v", regen.Image)
	}
	// Cancel it once it runs; it stays listed as cancelled.
	s.poll(regen.Image, 5*time.Minute, func(st status) bool { return st.Percentage > 0 || st.terminal() })
	var cancelled struct{ Status status }
	if code := s.call("DELETE", "/"+regen.Image.URI+"/status", "", &cancelled); code != 200 || !cancelled.Status.Cancelled {
		t.Fatalf("cancel: %d %+v", code, cancelled.Status)
	}
	time.Sleep(5 * time.Second) // let the worker unwind
	if st := s.status(regen.Image); !st.Cancelled {
		t.Fatalf("after cancel: %+v", st)
	}
	assertNothingLeft(t, s.data)
}

// TestE2EServerCrash kills the server (SIGKILL, with its process group) in the
// middle of a generation, restarts it, and checks the image ends completed or
// in error with a message: never "running" forever.
func TestE2EServerCrash(t *testing.T) {
	bin := kilnBinary(t)
	data, addr := t.TempDir(), freePort(t)
	s := startServer(t, bin, data, addr)
	aid := createAppliance(t, s, "crash-test")
	img := s.generate(aid, qcow2Request)
	s.poll(img, 5*time.Minute, func(st status) bool { return st.Percentage > 0 || st.terminal() })
	s.crash()

	s = startServer(t, bin, data, addr)
	defer s.stop()
	st := s.poll(img, 45*time.Minute, status.terminal)
	switch {
	case st.Complete:
		t.Logf("the crashed generation was retried and completed")
	case st.Error && st.ErrorMessage != "":
		t.Logf("the crashed generation ended in error: %s", st.ErrorMessage)
	default:
		t.Fatalf("after the crash the image ended %+v", st)
	}
	assertNothingLeft(t, s.data)
}

// assertNothingLeft checks that no build workspace or stray process remains.
func assertNothingLeft(t *testing.T, data string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(data, "tmp"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "build-") {
			t.Errorf("temporary %s left in %s/tmp", e.Name(), data)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, filepath.Join(data, "tmp")) {
			t.Errorf("process still running: %s", cmd)
		}
	}
}
