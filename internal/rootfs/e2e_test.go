package rootfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/examples"
	"github.com/kilnhq/kiln/internal/configure"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/run"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/testenv"
)

// The end-to-end test bootstraps Debian 12 from the real mirror. It needs root,
// network access to deb.debian.org and several minutes: KILN_E2E=1 only.
//
// KILN_E2E_CACHE=DIR keeps the cache between runs (the cold run is then only cold
// the first time); by default a fresh temp dir makes the first Prepare truly cold.

func requireE2E(t *testing.T) {
	t.Helper()
	testenv.RequireE2E(t, "bootstraps Debian from the mirror")
	if os.Geteuid() != 0 {
		t.Skip("mmdebstrap --mode=root needs root")
	}
}

func bookwormSources() []Source {
	return []Source{
		{URI: "http://deb.debian.org/debian", Suite: "bookworm", Components: []string{"main"}},
		{URI: "http://deb.debian.org/debian", Suite: "bookworm-updates", Components: []string{"main"}},
	}
}

func e2eSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := examples.Reference()
	if err != nil {
		t.Fatal(err)
	}
	// Exercise locale generation and the keymap too.
	s.Install.Locale = "fr_FR.UTF-8"
	s.Install.Keyboard = "fr"
	return s
}

func TestE2EPrepareConfigure(t *testing.T) {
	requireE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	work := t.TempDir()
	cacheDir := os.Getenv("KILN_E2E_CACHE")
	if cacheDir == "" {
		cacheDir = filepath.Join(work, "cache")
	}
	b, err := New(cacheDir, 4<<30, slogDiscard())
	if err != nil {
		t.Fatal(err)
	}
	s := e2eSpec(t)
	pl, err := plan.New(s, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Codename: "bookworm", Sources: bookwormSources(), Packages: pl.Packages}

	// Cold (or warm, with a kept cache).
	var last int
	dst1 := filepath.Join(work, "build1")
	res1, err := b.Prepare(ctx, req, dst1, func(pct int, msg string) {
		if pct < last {
			t.Errorf("progress went back: %d after %d (%s)", pct, last, msg)
		}
		last = pct
	})
	if err != nil {
		t.Fatal(err)
	}
	size, _ := diskUsage(dst1)
	t.Logf("first Prepare: hit=%v lock=%v bootstrap=%v populate=%v total=%v packages=%d tree=%d MiB",
		res1.CacheHit, res1.Timings.Lock, res1.Timings.Bootstrap, res1.Timings.Populate, res1.Timings.Total, len(res1.Packages), size>>20)
	if last != 100 {
		t.Errorf("progress ended at %d", last)
	}
	installed := map[string]record.InstalledPackage{}
	for _, p := range res1.Packages {
		installed[p.Name] = p
	}
	for _, want := range []string{"linux-image-amd64", "systemd-sysv", "openssh-server", "sudo", "ifupdown", "isc-dhcp-client", "locales", "keyboard-configuration", "console-setup", "udev", "initramfs-tools", "e2fsprogs"} {
		if p, ok := installed[want]; !ok || p.Version == "" || (p.Arch != "amd64" && p.Arch != "all") {
			t.Errorf("package %s not installed: %+v", want, p)
		}
	}
	checkLean(t, dst1)
	if !res1.CacheHit {
		pool := filepath.Join(cacheDir, "debs", "debian-bookworm-amd64")
		debs, _ := filepath.Glob(filepath.Join(pool, "*.deb"))
		if len(debs) < 100 || res1.Debs.Downloaded+res1.Debs.Reused < len(installed)/2 {
			t.Errorf("deb pool has %d files after %+v", len(debs), res1.Debs)
		}
	}
	kernels, _ := filepath.Glob(filepath.Join(dst1, "boot", "vmlinuz-*"))
	initrds, _ := filepath.Glob(filepath.Join(dst1, "boot", "initrd.img-*"))
	if len(kernels) != 1 || len(initrds) != 1 {
		t.Errorf("kernel %v, initrd %v", kernels, initrds)
	}

	// Configure the tree; the cached base must not change at all.
	base := filepath.Join(cacheDir, "bases", res1.Key, "tree")
	t0 := time.Now()
	before := treeDigest(t, base)
	t.Logf("base digest: %d entries in %v", len(before), time.Since(t0))
	t0 = time.Now()
	if err := configure.Apply(ctx, dst1, s.Install); err != nil {
		t.Fatal(err)
	}
	t.Logf("configure.Apply: %v", time.Since(t0))
	after := treeDigest(t, base)
	if diff := diffDigest(before, after); diff != "" {
		t.Errorf("the cached base changed during the build:\n%s", diff)
	}
	checkConfigured(t, ctx, dst1)

	// Warm: a hit, fast, and a pristine tree (nothing of build 1's configuration).
	dst2 := filepath.Join(work, "build2")
	res2, err := b.Prepare(ctx, req, dst2, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warm Prepare: hit=%v populate=%v total=%v", res2.CacheHit, res2.Timings.Populate, res2.Timings.Total)
	if !res2.CacheHit || res2.Timings.Bootstrap != 0 {
		t.Errorf("second Prepare was not a cache hit")
	}
	if res2.Timings.Total > 10*time.Second {
		t.Errorf("warm Prepare took %v", res2.Timings.Total)
	}
	if h, _ := os.ReadFile(filepath.Join(dst2, "etc/hostname")); strings.Contains(string(h), "kiln-ref") {
		t.Errorf("build 2 sees build 1's hostname")
	}
	if _, err := os.Stat(filepath.Join(dst2, "home/ops")); err == nil {
		t.Errorf("build 2 sees build 1's user")
	}
	if len(res2.Packages) != len(res1.Packages) {
		t.Errorf("warm tree has %d packages, cold %d", len(res2.Packages), len(res1.Packages))
	}

	// Two builds of the same key at once: both get a private, complete tree.
	errs := make(chan error, 2)
	for _, name := range []string{"par1", "par2"} {
		go func() {
			r, err := b.Prepare(ctx, req, filepath.Join(work, name), nil)
			if err == nil && !r.CacheHit {
				err = fmt.Errorf("%s: not a cache hit", name)
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for _, name := range []string{"par1", "par2"} {
		if _, err := os.Stat(filepath.Join(work, name, "var/lib/dpkg/status")); err != nil {
			t.Errorf("concurrent build %s: %v", name, err)
		}
	}

	// An unknown package fails the build, names the package, and leaves nothing.
	bad := req
	bad.Packages = append(append([]spec.Package(nil), req.Packages...), spec.Package{Name: "kiln-no-such-package"})
	dst3 := filepath.Join(work, "build3")
	t0 = time.Now()
	_, err = b.Prepare(ctx, bad, dst3, nil)
	var unknown *UnknownPackageError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "kiln-no-such-package") {
		t.Fatalf("Prepare with a bogus package = %v", err)
	}
	t.Logf("unknown package reported in %v: %v", time.Since(t0), err)
	if _, err := os.Stat(dst3); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed build left %s", dst3)
	}
	if ents, _ := os.ReadDir(filepath.Join(cacheDir, "tmp")); len(ents) != 0 {
		t.Errorf("failed build left temp files: %v", ents)
	}
	if mps, _ := mountsUnder(cacheDir); len(mps) != 0 {
		t.Errorf("mounts left: %v", mps)
	}
}

// checkLean asserts that apt's caches are gone and dpkg's database is intact.
func checkLean(t *testing.T, root string) {
	t.Helper()
	for _, pat := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_Packages*", "var/lib/apt/lists/*Release*", "var/cache/apt/*.bin"} {
		if m, _ := filepath.Glob(filepath.Join(root, pat)); len(m) > 0 {
			t.Errorf("left in the image: %v", m[:min(3, len(m))])
		}
	}
	if _, err := os.Stat(filepath.Join(root, "var/lib/dpkg/status")); err != nil {
		t.Errorf("dpkg database: %v", err)
	}
}

func checkConfigured(t *testing.T, ctx context.Context, root string) {
	t.Helper()
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		return string(b)
	}
	if got := read("etc/hostname"); got != "kiln-ref\n" {
		t.Errorf("hostname %q", got)
	}
	if !strings.Contains(read("etc/passwd"), "ops:x:1000:1000:Operations,,,:/home/ops:/bin/bash\n") {
		t.Errorf("ops not in passwd")
	}
	if !strings.Contains(read("etc/group"), "\nsudo:x:27:") || !strings.Contains(read("etc/sudoers.d/kiln-ops"), "ops ALL=(ALL:ALL) NOPASSWD:ALL") {
		t.Errorf("sudo for ops missing")
	}
	if read("home/ops/.ssh/authorized_keys") == "" {
		t.Errorf("no authorized_keys for ops")
	}
	if l, _ := os.Readlink(filepath.Join(root, "etc/localtime")); l != "/usr/share/zoneinfo/Europe/Paris" {
		t.Errorf("localtime -> %q", l)
	}
	if keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*")); len(keys) > 0 {
		t.Errorf("host keys shipped: %v", keys)
	}
	if read("etc/machine-id") != "" {
		t.Errorf("machine-id not empty")
	}
	// The tree's own sshd accepts the configuration and applies the drop-in (a
	// throwaway host key in /tmp: the image ships none by design).
	if err := run.Run(ctx, run.Cmd{Name: "ssh-keygen", Args: []string{"-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(root, "tmp/hk")}}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "run/sshd"), 0o755) // sshd -T insists on it
	defer os.Remove(filepath.Join(root, "run/sshd"))
	eff, err := run.Output(ctx, run.Cmd{Name: "chroot", Args: []string{root, "/usr/sbin/sshd", "-T", "-h", "/tmp/hk", "-C", "user=root,host=h,addr=192.0.2.1"}})
	if err != nil || !strings.Contains(string(eff), "permitrootlogin yes\n") {
		t.Errorf("sshd -T: %v (permitrootlogin yes expected: the profile sets a root password)", err)
	}
	os.Remove(filepath.Join(root, "tmp/hk"))
	os.Remove(filepath.Join(root, "tmp/hk.pub"))
	// The generated locale is in the tree's archive.
	out, err := run.Output(ctx, run.Cmd{Name: "chroot", Args: []string{root, "localedef", "--list-archive"}})
	if err != nil || !strings.Contains(strings.ToLower(string(out)), "fr_fr.utf8") {
		t.Errorf("fr_FR.UTF-8 not generated: %q %v", out, err)
	}
	// ifupdown (the tree's own ifup, dry run) brings the host's first e* NIC up as
	// the logical interface "nic" with DHCP.
	nics, _ := filepath.Glob("/sys/class/net/e*")
	if len(nics) > 0 {
		first := filepath.Base(nics[0])
		var out syncBuffer // ifup -v reports on stderr, the commands on stdout
		if err := run.Run(ctx, run.Cmd{Name: filepath.Join(root, "usr/sbin/ifup"),
			Args:   []string{"--no-act", "-v", "-a", "--interfaces=" + filepath.Join(root, "etc/network/interfaces"), "--state-dir=" + t.TempDir()},
			Stdout: &out, Stderr: &out}); err != nil {
			t.Errorf("ifup --no-act: %v", err)
		}
		all := out.String()
		if !strings.Contains(all, "configuring interface "+first+"=nic (inet)") {
			t.Errorf("ifup -a --no-act does not configure %s as nic:\n%s", first, all)
		}
	}
}

// treeDigest maps every path of a tree to its type, mode, owner, size, link target
// and content hash.
func treeDigest(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		v := fmt.Sprintf("%v %d:%d %d", info.Mode(), st.Uid, st.Gid, info.Size())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			v += " -> " + l
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			v += " " + hex.EncodeToString(h.Sum(nil))
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffDigest(a, b map[string]string) string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, fmt.Sprintf("%s: %q -> %q", k, v, b[k]))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "added "+k)
		}
	}
	sort.Strings(d)
	if len(d) > 20 {
		d = append(d[:20], fmt.Sprintf("… %d more", len(d)-20))
	}
	return strings.Join(d, "\n")
}

// Cancelling in the middle of a bootstrap (while mmdebstrap has /proc, /sys and
// /dev/shm mounted in the chroot) kills it, unmounts, and leaves nothing behind.
func TestE2ECancelDuringBootstrap(t *testing.T) {
	requireE2E(t)
	work := t.TempDir()
	cacheDir := os.Getenv("KILN_E2E_CACHE")
	if cacheDir == "" {
		cacheDir = filepath.Join(work, "cache")
	}
	b, err := New(cacheDir, 0, slogDiscard())
	if err != nil {
		t.Fatal(err)
	}
	// A key nobody else uses, so this is always a bootstrap.
	req := Request{Codename: "bookworm", Variant: "minbase", Sources: bookwormSources(),
		Packages: []spec.Package{{Name: "hello"}, {Name: "e2fsprogs"}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dst := filepath.Join(work, "cancelled")
	var at string
	start := time.Now()
	_, err = b.Prepare(ctx, req, dst, func(pct int, msg string) {
		if at == "" && strings.HasPrefix(msg, "installing") {
			at = msg
			cancel()
		}
	})
	t.Logf("cancelled at %q; Prepare returned after %v: %v", at, time.Since(start), err)
	if at == "" || !errors.Is(err, context.Canceled) {
		t.Fatalf("Prepare = %v (cancelled at %q), want a cancellation", err, at)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled build left %s", dst)
	}
	if ents, _ := os.ReadDir(filepath.Join(cacheDir, "tmp")); len(ents) != 0 {
		t.Errorf("cancelled build left temp files: %v", ents)
	}
	if mps, _ := mountsUnder(cacheDir); len(mps) != 0 {
		t.Errorf("mounts left: %v", mps)
	}
	key, _ := Key(req)
	if _, err := os.Stat(filepath.Join(cacheDir, "bases", key)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled bootstrap was published")
	}
}

// The .deb pool: the first bootstrap of a release downloads and stores every
// archive; a second one with a different key takes them from the pool (the archive
// apt installs is the pool's own inode) and downloads only what is new.
func TestE2EDebPool(t *testing.T) {
	requireE2E(t)
	ctx := context.Background()
	work := t.TempDir()
	b, err := New(filepath.Join(work, "cache"), 0, slogDiscard())
	if err != nil {
		t.Fatal(err)
	}
	first := Request{Codename: "bookworm", Variant: "minbase", Sources: bookwormSources(), Packages: []spec.Package{{Name: "hello"}}}
	r1, err := b.Prepare(ctx, first, filepath.Join(work, "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	second := first
	second.Packages = []spec.Package{{Name: "hello"}, {Name: "tree"}}
	r2, err := b.Prepare(ctx, second, filepath.Join(work, "b"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first bootstrap %v: %+v; second %v: %+v", r1.Timings.Bootstrap, r1.Debs, r2.Timings.Bootstrap, r2.Debs)
	// Every installed package came from one archive, and every archive reached the pool.
	if r1.Debs.Reused != 0 || r1.Debs.Downloaded != len(r1.Packages) {
		t.Errorf("first bootstrap: %+v for %d packages, want every one downloaded and kept", r1.Debs, len(r1.Packages))
	}
	if r2.Debs.Reused != r1.Debs.Downloaded || r2.Debs.Downloaded != len(r2.Packages)-len(r1.Packages) {
		t.Errorf("second bootstrap: %+v for %d packages, want %d reused and only the new ones downloaded", r2.Debs, len(r2.Packages), r1.Debs.Downloaded)
	}
	debs, _ := filepath.Glob(filepath.Join(work, "cache/debs/debian-bookworm-amd64/*.deb"))
	if len(debs) != r1.Debs.Downloaded+r2.Debs.Downloaded {
		t.Errorf("pool holds %d archives", len(debs))
	}
	checkLean(t, filepath.Join(work, "b"))
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
