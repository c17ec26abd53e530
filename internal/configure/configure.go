// Package configure writes an install profile (spec.Install) into a root tree:
// hostname, accounts, SSH access, time zone, keyboard, locale, network, first-boot
// identity and consoles. It edits files from Go, so it needs no chroot and no
// root, except for one step: generating a non-C locale runs the tree's own
// locale-gen (localedef) inside the tree (chroot(2) as root, or a user namespace
// otherwise), because the compiled locale format belongs to the tree's glibc.
//
// Files are always replaced (new file + rename), never written in place: the tree
// shares inodes with the base cache (see internal/rootfs). Every path is resolved
// inside the tree (internal/treefs), and the homes a profile names must not reach
// through the tree's symlinks.
package configure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/treefs"
)

// Option adjusts Apply.
type Option func(*options)

type options struct {
	log  *slog.Logger
	now  time.Time
	kind Kind
}

// Kind is what the tree becomes, which decides the steps that apply. It is
// chosen by the plan (internal/plan) and stored with it, hence a string.
type Kind string

const (
	// Machine boots its own kernel: every step applies (the default).
	Machine Kind = "machine"
	// SystemContainer runs its own init (LXC): no consoles to log in on.
	SystemContainer Kind = "system-container"
	// AppContainer runs one process (Docker, OCI): no init, so neither
	// consoles nor a network configuration (the runtime provides it).
	AppContainer Kind = "app-container"
)

// WithKind says what the tree becomes (Machine when not given or empty).
func WithKind(k Kind) Option {
	return func(o *options) {
		if k != "" {
			o.kind = k
		}
	}
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithTime sets the time recorded as the accounts' last password change (tests and
// reproducible builds); the current time otherwise.
func WithTime(t time.Time) Option { return func(o *options) { o.now = t } }

// Apply writes in into the tree at root. The spec is expected to be validated
// (spec.Parse); Apply still refuses what would corrupt the tree.
func Apply(ctx context.Context, root string, in spec.Install, opts ...Option) error {
	o := options{log: slog.New(slog.DiscardHandler), now: time.Now(), kind: Machine}
	for _, opt := range opts {
		opt(&o)
	}
	fillDefaults(&in)
	r, err := treefs.Open(root)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	defer r.Close()
	t := tree{r}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"hostname", func() error { return hostname(t, in.Hostname) }},
		{"accounts", func() error { return configureAccounts(t, in, o.now) }},
		{"ssh", func() error { return configureSSH(t, in) }},
		{"timezone", func() error { return timezone(t, in.Timezone) }},
		{"keyboard", func() error { return keyboard(t, in.Keyboard) }},
		{"locale", func() error { return locale(ctx, t, in.Locale) }},
		{"network", func() error {
			if o.kind == AppContainer {
				return nil
			}
			return network(t, in.Network)
		}},
		{"cloud-init", func() error { return cloudInit(t, in.CloudInit) }},
		{"identity", func() error { return identity(t) }},
		{"consoles", func() error {
			if o.kind != Machine {
				return nil
			}
			return consoles(t)
		}},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("configure: %w", err)
		}
		if err := s.fn(); err != nil {
			return fmt.Errorf("configure %s: %w", s.name, err)
		}
		o.log.Debug("configure: step done", "step", s.name)
	}
	return nil
}

// fillDefaults gives the same meaning to empty fields as spec.Defaults, so Apply
// can be called with a hand-built Install.
func fillDefaults(in *spec.Install) {
	if in.Hostname == "" {
		in.Hostname = "localhost"
	}
	if in.Timezone == "" {
		in.Timezone = "Etc/UTC"
	}
	if in.Keyboard == "" {
		in.Keyboard = "us"
	}
	if in.Locale == "" {
		in.Locale = "C.UTF-8"
	}
	if in.Network.Mode == "" {
		in.Network.Mode = "dhcp"
	}
}

var errNotInstalled = errors.New("not installed in the tree")
