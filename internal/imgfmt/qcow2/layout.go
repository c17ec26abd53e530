package qcow2

import "fmt"

// layout places the fixed metadata of an image at the start of the file:
// header, L1 table, refcount table and refcount blocks, followed by data.
// The refcount blocks are reserved for an upper bound of the final file size,
// so that the file can be written in one forward pass.
type layout struct {
	clusterBits uint
	clusterSize int64
	size        int64 // virtual size
	l2Entries   int64 // entries per L2 table
	refEntries  int64 // refcounts per refcount block

	l1Size        int64 // L1 entries
	l1Offset      int64
	l1Clusters    int64
	rtOffset      int64 // refcount table
	rtClusters    int64
	rbOffset      int64 // first refcount block
	rbClusters    int64
	dataOffset    int64 // first data cluster
	maxFileOffset int64 // upper bound of the file size
}

// maxVirtualSize keeps offsets and L2 indexes far from overflow; it is larger
// than any disk Kiln builds (1 PiB).
const maxVirtualSize = 1 << 50

// newLayout computes the layout for a disk of the given virtual size of which at
// most dataClusters clusters will be stored.
func newLayout(size int64, clusterBits uint, dataClusters int64) (layout, error) {
	if clusterBits < minClusterBits || clusterBits > maxClusterBits {
		return layout{}, fmt.Errorf("qcow2: cluster bits %d out of range [%d, %d]", clusterBits, minClusterBits, maxClusterBits)
	}
	if size < 0 || size > maxVirtualSize {
		return layout{}, fmt.Errorf("qcow2: virtual size %d out of range", size)
	}
	cs := int64(1) << clusterBits
	l := layout{
		clusterBits: clusterBits,
		clusterSize: cs,
		size:        size,
		l2Entries:   cs / 8,
		refEntries:  cs * 8 / (1 << refcountOrder),
	}
	virtClusters := divUp(size, cs)
	l.l1Size = divUp(virtClusters, l.l2Entries)
	if l.l1Size*8 > maxL1Bytes {
		return layout{}, fmt.Errorf("qcow2: virtual size %d needs an L1 table larger than %d bytes; use larger clusters", size, maxL1Bytes)
	}
	l.l1Clusters = divUp(l.l1Size*8, cs) // 0 for an empty disk: qemu counts no L1 cluster then
	l2Tables := min(l.l1Size, dataClusters)
	// The refcount blocks must cover every cluster of the file, themselves
	// included: iterate to the fixed point (two or three rounds).
	l.rtClusters, l.rbClusters = 1, 1
	for {
		total := 1 + l.l1Clusters + l.rtClusters + l.rbClusters + dataClusters + l2Tables
		rb := divUp(total, l.refEntries)
		rt := divUp(rb*8, cs)
		if rb <= l.rbClusters && rt <= l.rtClusters {
			l.maxFileOffset = total * cs
			break
		}
		l.rbClusters, l.rtClusters = max(rb, l.rbClusters), max(rt, l.rtClusters)
	}
	if l.l1Clusters > 0 {
		l.l1Offset = cs
	}
	l.rtOffset = cs + l.l1Clusters*cs
	l.rbOffset = l.rtOffset + l.rtClusters*cs
	l.dataOffset = l.rbOffset + l.rbClusters*cs
	return l, nil
}

func divUp(a, b int64) int64 { return (a + b - 1) / b }
