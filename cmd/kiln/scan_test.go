package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/scan/upload/uploadtest"
)

// runKiln runs the kiln command tree with args and returns stdout, stderr and
// the error main would print before exiting 2.
func runKiln(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func scanRoot(t *testing.T) string {
	r := uploadtest.BuildDebian(t)
	r.Write("/srv/cache/big.bin", "excluded")
	r.Commit()
	return r.Dir
}

func TestScanFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-u", "a", "-p", "x", "-U", "http://h/api"}, "-n/--name is required"},
		{[]string{"-u", "a", "-p", "x", "-a", "K", "-s", "S", "-U", "http://h/api", "-n", "n"}, "mutually exclusive"},
		{[]string{"-u", "a", "-p", "x", "-s", "S", "-U", "http://h/api", "-n", "n"}, "mutually exclusive"},
		{[]string{"-u", "a", "-a", "K", "-U", "http://h/api", "-n", "n"}, "give -p PASSWORD, or -a PUBLICKEY and -s SECRETKEY"},
		{[]string{"-u", "a", "-U", "http://h/api", "-n", "n"}, "give -p PASSWORD"},
		{[]string{"-p", "x", "-U", "http://h/api", "-n", "n"}, "-u/--user is required"},
		{[]string{"-u", "a", "-p", "x", "-n", "n"}, "-U/--url must be"},
		{[]string{"-u", "a", "-p", "x", "-U", "host:8080/api", "-n", "n"}, "-U/--url must be"},
		{[]string{"-u", "a", "-p", "x", "-U", "http://h/api", "-n", "n", "extra"}, "unknown command"},
		{[]string{"-u", "a", "-p", "x", "-U", "http://h/api", "-n", "n", "--log-level", "loud"}, "log level"},
	} {
		_, _, err := runKiln(t, append([]string{"scan"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("kiln scan %q: err %v, want %q", tc.args, err, tc.want)
		}
	}
}

var successLine = regexp.MustCompile(`^Scan successful: scan (\d+) of instance (\d+)\n$`)

func TestScanEndToEnd(t *testing.T) {
	srv := uploadtest.NewServer(t, "alice", "pw")
	root := scanRoot(t)
	out, errOut, err := runKiln(t, "scan", "-u", "alice", "-p", "pw", "-U", srv.URL, "-n", "web 01", "-o",
		"-e", "/srv/cache", "-e", "/root", "-t", t.TempDir(), "--root", root)
	if err != nil {
		t.Fatalf("kiln scan: %v\nstderr:\n%s", err, errOut)
	}
	m := successLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout %q", out)
	}
	if !strings.Contains(errOut, "overlay: ") || !strings.Contains(errOut, ", done") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	siid, overlay, _ := srv.Instance("web 01")
	if m[2] != itoa(siid) || !overlay {
		t.Errorf("instance %d overlay %v, printed %s", siid, overlay, m[2])
	}
	scans := srv.Scans()
	if len(scans) != 1 || itoa(scans[0].ID) != m[1] {
		t.Fatalf("scans %v", scans)
	}
	if state, _, msg, _, _ := scans[0].State(); state != "complete" {
		t.Errorf("scan %s: %s", state, msg)
	}
	data := srv.OverlayBytes(scans[0].ID)
	for _, want := range []string{"etc/motd", "opt/app/bin/run"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("%s not in the overlay", want)
		}
	}
	for _, unwanted := range []string{"srv/cache/big.bin", "root/.bashrc"} {
		if bytes.Contains(data, []byte(unwanted)) {
			t.Errorf("excluded %s in the overlay", unwanted)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Every flag can come from KILN_<FLAG>; API keys sign the requests.
func TestScanFromEnvironmentWithAPIKeys(t *testing.T) {
	srv := uploadtest.NewServer(t, "bob", "unused")
	srv.PublicKey, srv.SecretKey = "PUB123", "s3cr3t"
	t.Setenv("KILN_USER", "bob")
	t.Setenv("KILN_PUBLICKEY", "PUB123")
	t.Setenv("KILN_SECRETKEY", "s3cr3t")
	t.Setenv("KILN_URL", srv.URL)
	t.Setenv("KILN_NAME", "db01")
	t.Setenv("KILN_ROOT", scanRoot(t))
	t.Setenv("KILN_TMP", t.TempDir())
	out, errOut, err := runKiln(t, "scan")
	if err != nil {
		t.Fatalf("kiln scan: %v\n%s", err, errOut)
	}
	if !successLine.MatchString(out) {
		t.Fatalf("stdout %q", out)
	}
	if _, overlay, _ := srv.Instance("db01"); overlay {
		t.Error("instance created with overlay without -o")
	}
	for _, c := range srv.Calls() {
		if strings.HasPrefix(c, "POST") && strings.Contains(c, "/overlay") {
			return
		}
	}
	t.Error("no overlay sent: modified files go even without -o")
}

func TestScanPreflight(t *testing.T) {
	srv := uploadtest.NewServer(t, "alice", "pw")
	out, _, err := runKiln(t, "scan", "-u", "alice", "-p", "pw", "-U", srv.URL, "-P", "--root", scanRoot(t), "-t", t.TempDir())
	if err != nil {
		t.Fatalf("kiln scan -P: %v\n%s", err, out)
	}
	for _, want := range []string{"[OK  ] dpkg database", "[OK  ] server", "[OK  ] credentials: user alice is accepted"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(srv.Scans()) != 0 {
		t.Error("preflight created a scan")
	}

	out, _, err = runKiln(t, "scan", "-u", "alice", "-p", "bad", "-U", srv.URL, "-P", "--root", scanRoot(t), "-t", t.TempDir())
	if err == nil || !strings.Contains(out, "[FAIL] credentials") {
		t.Errorf("bad password: err %v\n%s", err, out)
	}
}

func TestScanHammrOverlayRule(t *testing.T) {
	srv := uploadtest.NewServer(t, "alice", "pw")
	srv.AddInstance("web01", false)
	_, _, err := runKiln(t, "scan", "-u", "alice", "-p", "pw", "-U", srv.URL, "-n", "web01", "-o", "--root", scanRoot(t), "-t", t.TempDir())
	if err == nil || err.Error() != "Performing scan with overlay into the scanned instance [web01] is not allowed" {
		t.Fatalf("err = %v", err)
	}
}

// TestScanPeakRSS runs the agent in a child process on a system holding a
// 200 MiB file and reads the child's peak RSS: the agent's budget is 100 MB.
func TestScanPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv := uploadtest.NewServer(t, "alice", "pw")
	srv.Discard = true // the server's memory is not the agent's
	r := uploadtest.BuildDebian(t)
	r.Commit()
	f, err := os.Create(r.Host("/srv/disk.img"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(200 << 20) // sparse: spares the disk, not the agent
	f.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScanExitCode$")
	cmd.Env = append(os.Environ(), "KILN_TEST_MAIN=1",
		"KILN_TEST_ARGS=scan -u alice -p pw -o -n big -U "+srv.URL+" --root "+r.Dir+" -t "+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child's own high-water mark, sampled until it exits: rusage's
	// Maxrss would include this test process's RSS at fork (Linux keeps it
	// across exec), and this process runs whole Kiln nodes in other tests.
	var hwmKiB int64
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	for sampling := true; sampling; {
		if kib, ok := vmHWM(cmd.Process.Pid); ok {
			hwmKiB = max(hwmKiB, kib)
		}
		select {
		case werr = <-done:
			sampling = false
		case <-time.After(5 * time.Millisecond):
		}
	}
	if werr != nil {
		t.Fatalf("agent: %v\n%s", werr, stderr.String())
	}
	if !successLine.MatchString(stdout.String()) {
		t.Fatalf("stdout %q", stdout.String())
	}
	if hwmKiB == 0 {
		t.Skip("no /proc/PID/status VmHWM")
	}
	rssMiB := float64(hwmKiB) / 1024
	t.Logf("agent peak RSS %.1f MiB for a 200 MiB overlay (%s)", rssMiB, strings.TrimSpace(lastLine(stderr.String())))
	if rssMiB > 100 {
		t.Errorf("agent peak RSS %.1f MiB, budget 100 MB", rssMiB)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestScanExitCode runs the real main in a child process: errors exit 2 with
// the message on stderr.
func TestScanExitCode(t *testing.T) {
	if os.Getenv("KILN_TEST_MAIN") == "1" {
		args := strings.Fields(os.Getenv("KILN_TEST_ARGS"))
		if argv, ok := os.LookupEnv("KILN_TEST_ARGV"); ok { // one argument a line: they may hold spaces
			args = strings.Split(strings.TrimSuffix(argv, "\n"), "\n")
		}
		os.Args = append([]string{"kiln"}, args...)
		main()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestScanExitCode$")
	cmd.Env = append(os.Environ(), "KILN_TEST_MAIN=1", "KILN_TEST_ARGS=scan -u a -p x -U http://127.0.0.1:1/api")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(stderr.String(), "kiln: -n/--name is required") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// vmHWM reads the peak resident set size of process pid, in KiB.
func vmHWM(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib); err == nil {
				return kib, true
			}
		}
	}
	return 0, false
}
