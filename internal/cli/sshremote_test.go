package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The agent's directory on the scanned host is made by mktemp: private (0700)
// and of a name nobody can know in advance, under a parent that may not exist
// yet and whose name may hold spaces and quotes. The command is run here by
// sh, as the host's shell would.
func TestAgentDir(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "it's a dir")
	var dirs []agentDir
	for range 2 {
		out, err := exec.Command("sh", "-c", mkAgentDirCmd(parent)).Output()
		if err != nil {
			t.Fatalf("%s: %v", mkAgentDirCmd(parent), err)
		}
		d, err := parseAgentDir(parent, string(out))
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(string(d))
		if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v", d, st.Mode(), err)
		}
		if filepath.Dir(string(d)) != parent || d.agent() != string(d)+"/kiln" {
			t.Errorf("%s is not in %s", d, parent)
		}
		dirs = append(dirs, d)
	}
	if dirs[0] == dirs[1] || strings.HasSuffix(string(dirs[0]), "XXXXXXXXXX") {
		t.Errorf("names not random: %v", dirs)
	}
	// What is written there is private too, and removal takes it all.
	d := dirs[0]
	c := exec.Command("sh", "-c", writeCmd(d.agent(), "700"))
	c.Stdin = strings.NewReader("#!/bin/sh\n")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(d.agent()); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("agent: %v %v", st, err)
	}
	if err := exec.Command("sh", "-c", d.removeCmd()).Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(string(d)); !os.IsNotExist(err) {
		t.Errorf("%s not removed: %v", d, err)
	}

	// Only mktemp's one path under the parent is taken (it is removed with rm -rf later).
	for _, out := range []string{"", "/tmp\n", parent + "/kiln.abc", parent + "/kiln.0123456789\n/etc", parent + "/../kiln.012345678", "/etc/kiln.0123456789"} {
		if d, err := parseAgentDir(parent, out); err == nil {
			t.Errorf("mktemp said %q: accepted as %s", out, d)
		}
	}
}

func TestShellLine(t *testing.T) {
	words := []string{"printf", "%s|", "a b", "it's", "$HOME", "`id`", ";", "*"}
	out, err := exec.Command("sh", "-c", shellLine(words...)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "a b|it's|$HOME|`id`|;|*|"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
