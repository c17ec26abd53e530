package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/kilnhq/kiln/internal/service"
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

// tlsFlags are kiln serve's transport flags. Every request carries a password
// or an API key signature, so plain HTTP is only for loopback addresses unless
// --insecure-http says otherwise (a TLS proxy in front, a lab network).
type tlsFlags struct {
	tlsCert, tlsKey string
	insecureHTTP    bool
}

// register declares --tls-cert, --tls-key and --insecure-http on f.
func (t *tlsFlags) register(f *pflag.FlagSet) {
	f.StringVar(&t.tlsCert, "tls-cert", "", "PEM certificate (with its chain) to serve HTTPS with; needs --tls-key")
	f.StringVar(&t.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	f.BoolVar(&t.insecureHTTP, "insecure-http", false, "allow plain HTTP on a non-loopback --listen address (credentials cross the network in clear text)")
}

// loginFlags are kiln serve's limits on password checks (service.LoginPolicy),
// and whether to believe a proxy about client addresses.
type loginFlags struct {
	maxChecks         int
	perMinute         int
	freeFailures      int
	trustForwardedFor bool
}

func (l *loginFlags) register(f *pflag.FlagSet) {
	f.IntVar(&l.maxChecks, "max-password-checks", 0,
		"password checks (argon2id, ~19 MiB each) run at once; beyond, a login waits up to 1 s, then gets 503 (0: one less than the CPUs, 1 to 4)")
	f.IntVar(&l.perMinute, "login-rate", 60,
		"password checks one client address may start per minute (a burst of as many); beyond, 429")
	f.IntVar(&l.freeFailures, "login-failures", 5,
		"consecutive failed logins before a login is locked: 1 s, doubling with each further failure up to 5 min (429)")
	f.BoolVar(&l.trustForwardedFor, "trust-forwarded-for", false,
		"count login attempts against the last X-Forwarded-For address, not the peer's (only behind a proxy that sets it)")
}

// policy checks the values: a limit of 0 would lock everyone out.
func (l *loginFlags) policy() (service.LoginPolicy, error) {
	switch {
	case l.maxChecks < 0:
		return service.LoginPolicy{}, fmt.Errorf("--max-password-checks %d: must be 0 (automatic) or more", l.maxChecks)
	case l.perMinute < 1:
		return service.LoginPolicy{}, fmt.Errorf("--login-rate %d: must be at least 1", l.perMinute)
	case l.freeFailures < 1:
		return service.LoginPolicy{}, fmt.Errorf("--login-failures %d: must be at least 1", l.freeFailures)
	}
	return service.LoginPolicy{MaxChecks: l.maxChecks, ChecksPerMinute: l.perMinute, FreeFailures: l.freeFailures}, nil
}
