package scan

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// openHashed opens the files the workers read; tests count them through it.
var openHashed = openRegular

// hasher is one worker's hashing state: its buffer is reused for every file.
type hasher struct {
	buf []byte
	md5 hash.Hash
	sha hash.Hash
}

func newHasher() *hasher {
	return &hasher{buf: make([]byte, 256<<10), md5: md5.New(), sha: sha256.New()}
}

// do performs an item's hashing job. md5 (what dpkg records) decides whether a
// package file changed; only a changed one is read again for its SHA-256, so an
// unchanged system costs one md5 pass.
func (h *hasher) do(ctx context.Context, it *item, noSHA bool) {
	if it.job == hashVerify {
		h.md5.Reset()
		if err := h.file(ctx, it.host, h.md5); err != nil {
			it.skipErr = err
			return
		}
		if [16]byte(h.md5.Sum(nil)) == it.want {
			it.drop = true
			return
		}
		it.e.Reason = ReasonModified
		if noSHA {
			return
		}
	}
	h.sha.Reset()
	if err := h.file(ctx, it.host, h.sha); err != nil {
		it.skipErr = err
		return
	}
	it.e.SHA256 = hex.EncodeToString(h.sha.Sum(nil))
}

// file feeds the regular file at hostPath to w, checking ctx between reads so a
// cancelled scan does not finish hashing a huge file first.
func (h *hasher) file(ctx context.Context, hostPath string, w io.Writer) error {
	f, err := openHashed(hostPath)
	if err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	defer f.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := f.Read(h.buf)
		w.Write(h.buf[:n]) // hash.Hash writes never fail
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("hash %s: %w", hostPath, err)
		}
	}
}
