package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/record"
)

// collect runs Overlay and returns its entries.
func collect(t *testing.T, root string, opts OverlayOptions) ([]Entry, record.OverlayStats) {
	t.Helper()
	var got []Entry
	st, err := Overlay(context.Background(), root, opts, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Overlay: %v", err)
	}
	return got, st
}

func summary(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		s := fmt.Sprintf("%s %s %s", e.Reason, e.Kind, e.Path)
		if e.Package != "" {
			s += " (" + e.Package + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestOverlaySyntheticRoot(t *testing.T) {
	r := buildDebianRoot(t)
	got, st := collect(t, r.dir, OverlayOptions{Exclude: []string{"/srv/cache"}, Workers: 2})

	want := []string{
		"added file /etc/default/grub",
		"added file /etc/default/keyboard",
		"added file /etc/default/locale",
		"added file /etc/fstab",
		"added file /etc/group",
		"added file /etc/hostname",
		"added symlink /etc/localtime",
		"modified file /etc/motd (base-files)",
		"added file /etc/network/interfaces",
		"added dir /etc/network/interfaces.d",
		"added file /etc/network/interfaces.d/eth1",
		"added file /etc/oldtool.conf", // its package is removed
		"added file /etc/passwd",
		"added file /etc/shadow",
		"added file /etc/ssh/moduli.old (openssh-server)", // obsolete conffile
		"modified file /etc/ssh/sshd_config (openssh-server)",
		"added dir /etc/systemd/system/multi-user.target.wants",
		"added symlink /etc/systemd/system/multi-user.target.wants/ssh.service",
		"added file /etc/timezone",
		"added dir /home/ops",
		"added dir /home/ops/.ssh",
		"added file /home/ops/.ssh/authorized_keys",
		"added file /home/ops/notes.txt",
		"added dir /opt/app",
		"added dir /opt/app/bin",
		"added file /opt/app/bin/run",
		"added file /root/.bashrc",
		"added dir /root/.ssh",
		"added file /root/.ssh/authorized_keys",
		"added dir /srv/www",
		"added file /srv/www/index.html",
		"modified file /usr/bin/cat (coreutils)",
		"added dir /var/lib/apt",
		"added file /var/lib/apt/extended_states",
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Fatalf("overlay (-want +got):\n%s", diff)
	}

	byPath := map[string]Entry{}
	for _, e := range got {
		byPath[e.Path] = e
	}
	run := byPath["/opt/app/bin/run"]
	info, err := os.Lstat(r.host("/opt/app/bin/run"))
	if err != nil {
		t.Fatal(err)
	}
	wantRun := Entry{
		Path: "/opt/app/bin/run", Kind: KindFile, Mode: 0o755, UID: os.Getuid(), GID: os.Getgid(),
		Size: int64(len("#!/bin/sh\necho run\n")), ModTime: info.ModTime(), Reason: ReasonAdded,
		SHA256: sha256hex("#!/bin/sh\necho run\n"),
	}
	if diff := cmp.Diff(wantRun, run); diff != "" {
		t.Errorf("/opt/app/bin/run (-want +got):\n%s", diff)
	}
	if e := byPath["/usr/bin/cat"]; e.SHA256 != sha256hex("trojan cat") || e.Size != 10 {
		t.Errorf("modified /usr/bin/cat: sha256 %s size %d", e.SHA256, e.Size)
	}
	if e := byPath["/etc/localtime"]; e.LinkTarget != "/usr/share/zoneinfo/Europe/Paris" || e.Mode.Type() != fs.ModeSymlink || e.SHA256 != "" {
		t.Errorf("/etc/localtime: %+v", e)
	}
	if e := byPath["/opt/app"]; !e.Mode.IsDir() || e.Mode.Perm() != 0o755 {
		t.Errorf("/opt/app mode %v", e.Mode)
	}

	wantStats := record.OverlayStats{
		Entries:  int64(len(want)),
		Files:    int64(strings.Count(strings.Join(want, "\n"), " file ")),
		Added:    int64(len(want) - 3),
		Modified: 3,
		// /proc, /srv/cache, /swapfile, /tmp, /var/lib/dpkg
		Excluded: 5,
	}
	for _, e := range got {
		if e.Kind == KindFile {
			wantStats.Bytes += e.Size
		}
	}
	st.Walked = 0 // depends on the walk's details, checked below
	if diff := cmp.Diff(wantStats, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestOverlayDeterministicAcrossWorkers(t *testing.T) {
	r := buildDebianRoot(t)
	for i := range 40 {
		r.write(fmt.Sprintf("/opt/many/f%02d", i), strings.Repeat("x", i*1000))
	}
	one, st1 := collect(t, r.dir, OverlayOptions{Workers: 1})
	four, st4 := collect(t, r.dir, OverlayOptions{Workers: 4})
	if diff := cmp.Diff(one, four); diff != "" {
		t.Fatalf("1 worker vs 4 (-1 +4):\n%s", diff)
	}
	if st1 != st4 || st1.Walked == 0 {
		t.Errorf("stats differ: %+v vs %+v", st1, st4)
	}
}

func TestOverlayNoSHA256(t *testing.T) {
	r := buildDebianRoot(t)
	got, _ := collect(t, r.dir, OverlayOptions{NoSHA256: true})
	modified := 0
	for _, e := range got {
		if e.SHA256 != "" {
			t.Errorf("%s: sha256 computed with NoSHA256", e.Path)
		}
		if e.Reason == ReasonModified {
			modified++
		}
	}
	if modified != 3 {
		t.Errorf("%d modified entries, want 3 (md5 comparison still happens)", modified)
	}
}

func TestOverlayExcludeThroughSymlinkedDir(t *testing.T) {
	r := buildDebianRoot(t)
	r.write("/usr/bin/local-tool", "tool")
	got, _ := collect(t, r.dir, OverlayOptions{Exclude: []string{"/bin/local-tool", "/home/ops/"}})
	for _, e := range got {
		if e.Path == "/usr/bin/local-tool" || strings.HasPrefix(e.Path, "/home/ops") {
			t.Errorf("%s: excluded but emitted", e.Path)
		}
	}
	if _, err := Overlay(context.Background(), r.dir, OverlayOptions{Exclude: []string{"relative/path"}}, func(Entry) error { return nil }); err == nil {
		t.Error("relative exclude accepted")
	}
}

func TestOverlayHardlinks(t *testing.T) {
	r := buildDebianRoot(t)
	r.write("/opt/a", "same inode")
	if err := os.Link(r.host("/opt/a"), r.host("/opt/b")); err != nil {
		t.Fatal(err)
	}
	got, st := collect(t, r.dir, OverlayOptions{})
	var a, b Entry
	for _, e := range got {
		switch e.Path {
		case "/opt/a":
			a = e
		case "/opt/b":
			b = e
		}
	}
	if a.Kind != KindFile || b.Kind != KindHardlink || b.LinkTarget != "/opt/a" || b.SHA256 != a.SHA256 {
		t.Errorf("a=%+v b=%+v", a, b)
	}
	plain, _ := collect(t, buildDebianRoot(t).dir, OverlayOptions{})
	if st.Entries != int64(len(plain))+2 || st.Files != int64(countKind(plain, KindFile))+1 {
		t.Errorf("stats %+v: want one more file and one more entry (the link) than without them", st)
	}
}

func countKind(entries []Entry, k Kind) int {
	n := 0
	for _, e := range entries {
		if e.Kind == k {
			n++
		}
	}
	return n
}

func TestOverlayConsumerErrorStops(t *testing.T) {
	r := buildDebianRoot(t)
	stop := errors.New("upload failed")
	n := 0
	_, err := Overlay(context.Background(), r.dir, OverlayOptions{}, func(Entry) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("err = %v after %d entries, want the consumer's error after 3", err, n)
	}
}

func TestOverlayCancelled(t *testing.T) {
	r := buildDebianRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Overlay(ctx, r.dir, OverlayOptions{}, func(Entry) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOverlayNeedsDpkg(t *testing.T) {
	dir := t.TempDir()
	_, err := Overlay(context.Background(), dir, OverlayOptions{}, func(Entry) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "dpkg status") {
		t.Fatalf("err = %v, want a dpkg status error", err)
	}
}
