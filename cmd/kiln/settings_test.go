package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clearSettingsEnv unsets, for the test, the KILN_* variables of the flags of
// kiln serve, worker and build.
func clearSettingsEnv(t *testing.T) {
	t.Helper()
	for _, cmd := range []*cobra.Command{newServeCmd(), newWorkerCmd(), newBuildCmd()} {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			name := "KILN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		})
	}
}

// settings parses args for cmd, completes them as its RunE does, and returns
// the flags' values.
func settings(t *testing.T, cmd *cobra.Command, args ...string) (map[string]string, error) {
	t.Helper()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	if err := loadSettings(cmd); err != nil {
		return nil, err
	}
	got := map[string]string{}
	cmd.Flags().VisitAll(func(f *pflag.Flag) { got[f.Name] = f.Value.String() })
	return got, nil
}

// A command-line flag wins over its KILN_ variable, which wins over the config
// file, which wins over the default.
func TestSettingsPrecedence(t *testing.T) {
	clearSettingsEnv(t)
	cfg := writeFile(t, filepath.Join(t.TempDir(), "kiln.yaml"), `# kiln serve
listen: 127.0.0.1:9090
cache-max-gb: 40
log-level: debug
workers: 3
job-timeout: 30m
`)
	t.Setenv("KILN_LOG_LEVEL", "warn")
	t.Setenv("KILN_WORKERS", "5")
	got, err := settings(t, newServeCmd(), "--config", cfg, "--workers", "7")
	if err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{
		"workers":      "7",              // flag > variable > file
		"log-level":    "warn",           // variable > file
		"listen":       "127.0.0.1:9090", // file > default
		"cache-max-gb": "40",
		"job-timeout":  "30m0s",
		"api-version":  "3.8.13", // default
	} {
		if got[flag] != want {
			t.Errorf("--%s = %q, want %q", flag, got[flag], want)
		}
	}

	// KILN_CONFIG names the file when --config does not; --config wins over it.
	// kiln worker reads serve's file, passing over serve's own flags (listen).
	t.Setenv("KILN_CONFIG", cfg)
	if got, err := settings(t, newWorkerCmd()); err != nil || got["cache-max-gb"] != "40" || got["workers"] != "5" {
		t.Errorf("worker with KILN_CONFIG: %v, cache-max-gb %q, workers %q", err, got["cache-max-gb"], got["workers"])
	}
	other := writeFile(t, filepath.Join(t.TempDir(), "other.yaml"), "cache-max-gb: 8\n")
	if got, err := settings(t, newWorkerCmd(), "--config", other); err != nil || got["cache-max-gb"] != "8" {
		t.Errorf("--config over KILN_CONFIG: %v, cache-max-gb %q", err, got["cache-max-gb"])
	}
}

// A key that is no flag of kiln serve, worker or build is an error that names
// it, and the command does nothing else.
func TestSettingsConfigErrors(t *testing.T) {
	clearSettingsEnv(t)
	dir := t.TempDir()
	for _, tc := range []struct{ file, cmd, want string }{
		{"cache-max-gb: 40\ncache-size: 40\n", "worker", `kiln.yaml:2: unknown key "cache-size": not a flag of kiln serve, worker or build`},
		{"listen: 127.0.0.1:9090\nspec: x.yaml\nurl: http://x/api\n", "serve", `unknown key "url"`}, // kiln scan's
		{"config: other.yaml\n", "build", `key "config": --config cannot be set in a config file`},
		{"workers: many\n", "serve", `kiln.yaml:1: workers: invalid argument "many"`},
		{"mirror: [a, b]\n", "serve", "mirror: want a single value"},
		{"data: /a\ndata: /b\n", "serve", `key "data" given twice`},
		{"- listen\n", "serve", "want flag names and their values"},
	} {
		cfg := writeFile(t, filepath.Join(dir, "kiln.yaml"), tc.file)
		args := []string{tc.cmd, "--config", cfg, "--log-level", "nonsense"} // the file is read first
		if tc.cmd == "build" {
			args = append(args, "--spec", cfg)
		}
		_, _, err := kiln(t, "", args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("kiln %s with %q: %v, want an error with %q", tc.cmd, tc.file, err, tc.want)
		}
	}
	if _, _, err := kiln(t, "", "worker", "--config", filepath.Join(dir, "none.yaml")); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing config file: %v", err)
	}
}

// kiln serve, worker and build declare their common flags once: the same name
// has the same meaning everywhere, and worker has all of serve's node flags.
func TestNodeFlagsShared(t *testing.T) {
	serve, worker, build := newServeCmd().Flags(), newWorkerCmd().Flags(), newBuildCmd().Flags()
	for _, name := range append(allNodeFlags, "config") {
		s, w := serve.Lookup(name), worker.Lookup(name)
		if s == nil || w == nil {
			t.Fatalf("--%s: serve %v, worker %v", name, s != nil, w != nil)
		}
		if s.Usage != w.Usage || s.DefValue != w.DefValue {
			t.Errorf("--%s differs: serve %q (%s), worker %q (%s)", name, s.Usage, s.DefValue, w.Usage, w.DefValue)
		}
		if b := build.Lookup(name); b != nil && b.Usage != s.Usage {
			t.Errorf("--%s differs: serve %q, build %q", name, s.Usage, b.Usage)
		}
	}
	if got := build.Lookup("log-level").DefValue; got != "warn" {
		t.Errorf("build --log-level defaults to %q, want warn", got)
	}
	var names []string
	build.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if want := []string{"cache-max-gb", "compress", "config", "data", "format", "log-level", "mirror", "out", "plan-only", "spec"}; !slices.Equal(names, want) {
		t.Errorf("build flags %v, want %v", names, want)
	}
}

func TestDefaultDataDir(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		euid int
		env  func(string) string
		want string
	}{
		{0, env("HOME", "/root", "XDG_DATA_HOME", "/root/.data"), "/var/lib/kiln"},
		{1000, env("HOME", "/home/u", "XDG_DATA_HOME", "/home/u/.data"), "/home/u/.data/kiln"},
		{1000, env("HOME", "/home/u", "XDG_DATA_HOME", "relative"), "/home/u/.local/share/kiln"},
		{1000, env("HOME", "/home/u"), "/home/u/.local/share/kiln"},
	} {
		if got := defaultDataDir(tc.euid, tc.env); got != tc.want {
			t.Errorf("uid %d: %q, want %q", tc.euid, got, tc.want)
		}
	}
	if got := defaultDataDir(1000, env()); !filepath.IsAbs(got) || !strings.HasSuffix(got, "kiln-1000") {
		t.Errorf("no home: %q", got)
	}
}
