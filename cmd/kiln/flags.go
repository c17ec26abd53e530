package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
)

// nodeFlags are the flags kiln serve, kiln worker and kiln build share. Each is
// declared once, in register; every one of them (and every other flag of these
// commands) may also be set by a KILN_<FLAG> variable or in the --config file
// (loadSettings).
type nodeFlags struct {
	config     string
	data       string
	database   string
	mirror     string
	aptRoot    string
	logLevel   string // set before register: that command's default (else "info")
	cacheDir   string
	cacheMaxGB int64
	workers    int
	jobTimeout time.Duration
	minFreeGB  int64
}

// allNodeFlags are the names of every node flag: those of kiln serve and kiln worker.
var allNodeFlags = []string{"data", "database", "mirror", "apt-root", "log-level", "cache-dir", "cache-max-gb", "workers", "job-timeout",
	"min-free-gb"}

// register declares --config and the node flags named (each of allNodeFlags) on f.
func (n *nodeFlags) register(f *pflag.FlagSet, names ...string) {
	decl := map[string]func(name string){
		"data": func(name string) {
			f.StringVar(&n.data, name, defaultDataDir(os.Geteuid(), os.Getenv),
				"data directory: caches, temporary files, kiln serve's database and artifacts (root: /var/lib/kiln; others: $XDG_DATA_HOME/kiln or ~/.local/share/kiln)")
		},
		"database": func(name string) {
			f.StringVar(&n.database, name, "", "SQLite file path or postgres:// URL (default DATA/kiln.db; kiln worker needs postgres://)")
		},
		"mirror": func(name string) {
			f.StringVar(&n.mirror, name, "", "Debian mirror URL (default: the one apt is configured with)")
		},
		"apt-root": func(name string) {
			f.StringVar(&n.aptRoot, name, "/", "root under which the apt sources are read")
		},
		"log-level": func(name string) {
			f.StringVar(&n.logLevel, name, cmp.Or(n.logLevel, "info"), "debug, info, warn or error")
		},
		"cache-dir": func(name string) {
			f.StringVar(&n.cacheDir, name, "", "package and base caches (default DATA/cache)")
		},
		"cache-max-gb": func(name string) {
			f.Int64Var(&n.cacheMaxGB, name, 20, "size cap of the package and base caches, in GiB")
		},
		"workers": func(name string) {
			f.IntVar(&n.workers, name, 1, "image generations run at once on this node (kiln serve --workers 0: API only)")
		},
		"job-timeout": func(name string) {
			f.DurationVar(&n.jobTimeout, name, 2*time.Hour, "longest an image generation may run")
		},
		"min-free-gb": func(name string) {
			f.Int64Var(&n.minFreeGB, name, 2, "GiB a generation must leave free on the work and cache filesystems, beyond its disk size")
		},
	}
	f.StringVar(&n.config, "config", "", "YAML file setting flags by name (cache-max-gb: 40); command-line flags and KILN_<FLAG> variables win over it")
	for _, name := range names {
		d, ok := decl[name]
		if !ok {
			panic("nodeFlags: no flag " + name)
		}
		d(name)
	}
}

// defaultDataDir is the data directory when --data is not given, decided here only:
// /var/lib/kiln for root, else $XDG_DATA_HOME/kiln, else ~/.local/share/kiln (a
// directory under the temporary one when there is no home). It is never inside a
// source tree, so that `go vet ./...` and `go test ./...` in a checkout do not walk
// a running build's tree.
func defaultDataDir(euid int, getenv func(string) string) string {
	if euid == 0 {
		return "/var/lib/kiln"
	}
	if x := getenv("XDG_DATA_HOME"); filepath.IsAbs(x) { // a relative one is invalid (XDG Base Directory)
		return filepath.Join(x, "kiln")
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".local", "share", "kiln")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("kiln-%d", euid))
}
