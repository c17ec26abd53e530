package sealbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// LoadKeyFile reads the key at path. When create is set and the file does not
// exist, a new random key is written there first, mode 0600, with O_EXCL so
// that two nodes starting at once on a shared directory cannot each write
// their own. A key file others may read, or of the wrong size, is refused:
// the key is what keeps the database's secrets secret.
func LoadKeyFile(path string, create bool) ([]byte, error) {
	if create {
		if err := createKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s: mode %04o lets other users read it; chmod 600 it", path, perm)
	}
	if !fi.Mode().IsRegular() || fi.Size() != KeySize {
		return nil, fmt.Errorf("secret key file %s: want a regular file of exactly %d bytes, found %d", path, KeySize, fi.Size())
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(f, key); err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new key at path, failing with fs.ErrExist when
// there is one. A partly written file is removed, so that a retry starts over.
func createKeyFile(path string) error {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("secret key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("secret key file: %w", err)
	}
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("secret key file %s: %w", path, err)
	}
	return nil
}
