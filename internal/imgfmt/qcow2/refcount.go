package qcow2

import (
	"encoding/binary"
	"fmt"
	"io"
)

// refcounter accumulates the refcounts of a file written front to back. Clusters
// are referenced in non-decreasing order, so only the current refcount block is
// kept; it is written to its reserved place when the writer moves past it.
type refcounter struct {
	w          io.WriterAt
	l          *layout
	block      []byte // current refcount block (16-bit big-endian entries)
	cur        int64  // index of the current block, -1 before the first
	dirty      bool
	lastClustr int64 // highest cluster referenced so far
}

func newRefcounter(w io.WriterAt, l *layout) *refcounter {
	return &refcounter{w: w, l: l, block: make([]byte, l.clusterSize), cur: -1, lastClustr: -1}
}

// add counts one reference to every cluster overlapping [start, end).
func (r *refcounter) add(start, end int64) error {
	if end <= start {
		return nil
	}
	cs := r.l.clusterSize
	for c := start / cs; c <= (end-1)/cs; c++ {
		if c < r.lastClustr {
			return fmt.Errorf("qcow2: internal error: cluster %d referenced after cluster %d", c, r.lastClustr)
		}
		r.lastClustr = c
		bi := c / r.l.refEntries
		if bi >= r.l.rbClusters {
			return fmt.Errorf("qcow2: internal error: cluster %d beyond the reserved refcount blocks", c)
		}
		if bi != r.cur {
			if err := r.flush(); err != nil {
				return err
			}
			clear(r.block)
			r.cur = bi
		}
		i := (c % r.l.refEntries) * 2
		n := binary.BigEndian.Uint16(r.block[i:])
		if n == 0xffff {
			return fmt.Errorf("qcow2: refcount of cluster %d overflows", c)
		}
		binary.BigEndian.PutUint16(r.block[i:], n+1)
		r.dirty = true
	}
	return nil
}

// flush writes the current block to its reserved cluster.
func (r *refcounter) flush() error {
	if !r.dirty {
		return nil
	}
	off := r.l.rbOffset + r.cur*r.l.clusterSize
	if _, err := r.w.WriteAt(r.block, off); err != nil {
		return fmt.Errorf("qcow2: write refcount block %d: %w", r.cur, err)
	}
	r.dirty = false
	return nil
}
