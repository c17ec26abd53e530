// Package imgfmt is the small shared surface of Kiln's disk-format writers.
//
// A source is a raw disk image file. Its allocated extents are enumerated with
// SEEK_DATA/SEEK_HOLE (Extents), read in block-aligned chunks (ChunkReader), and
// each format package (imgfmt/raw, imgfmt/qcow2, …) implements Converter to
// stream those chunks into its own container. Writers never hold the image in
// memory: their footprint depends on their buffers, not on the disk size.
package imgfmt
