package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// DefaultKnownHosts is where `scan run --ip` keeps the host keys it trusts:
// Kiln's own file beside its credentials (~/.config/kiln/known_hosts), in
// OpenSSH's format, so that Kiln never writes into ~/.ssh/known_hosts, which
// belongs to OpenSSH and its user.
func DefaultKnownHosts(home string) string {
	return filepath.Join(home, ".config", "kiln", "known_hosts")
}

// hostKeyCallback checks host keys against the known_hosts file: a known
// key passes; a changed key is always refused (someone may be in the middle);
// an unknown host is refused with its key's fingerprint, unless acceptNew,
// which records the key (as OpenSSH's StrictHostKeyChecking=accept-new). The
// agent about to be sent runs as root there, so a host is never trusted
// silently.
func (e *Env) hostKeyCallback(file string, acceptNew bool) (ssh.HostKeyCallback, error) {
	var known ssh.HostKeyCallback
	if _, err := os.Stat(file); err == nil {
		if known, err = knownhosts.New(file); err != nil {
			return nil, fmt.Errorf("known hosts %s: %w", file, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("known hosts: %w", err)
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		fp := key.Type() + " " + ssh.FingerprintSHA256(key)
		if known != nil {
			err := known(host, remote, key)
			if err == nil {
				return nil
			}
			var ke *knownhosts.KeyError
			if !errors.As(err, &ke) {
				return fmt.Errorf("host key of %s: %w", host, err) // a revoked key, for one
			}
			if len(ke.Want) > 0 {
				w := ke.Want[0]
				return fmt.Errorf("the host key of %s has CHANGED: it offers %s, but %s:%d records another one for it; "+
					"someone may be intercepting the connection. If the host was reinstalled, check its new key and remove that line",
					host, fp, w.Filename, w.Line)
			}
		}
		if !acceptNew {
			return fmt.Errorf("the host key of %s is unknown: %s. Check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub "+
				"lists its fingerprints), then rerun with --accept-new-host-key to record it in %s", host, fp, file)
		}
		if err := recordHostKey(file, host, remote, key); err != nil {
			return err
		}
		e.Warn("recorded the new host key of %s (%s) in %s", host, fp, file)
		return nil
	}, nil
}

// recordHostKey appends key to file under host and, when it differs, the
// address it was reached at: knownhosts checks both, so a host name recorded
// alone would stay unknown by its address.
func recordHostKey(file, host string, remote net.Addr, key ssh.PublicKey) error {
	names := []string{knownhosts.Normalize(host)}
	if remote != nil {
		if r := knownhosts.Normalize(remote.String()); r != names[0] {
			names = append(names, r)
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("record the host key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("record the host key: %w", err)
	}
	line := knownhosts.Line(names, key) + "\n"
	// A file edited by hand may lack its last newline; the new line must not
	// be glued to the one before.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	_, err = io.WriteString(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record the host key in %s: %w", file, err)
	}
	return nil
}
