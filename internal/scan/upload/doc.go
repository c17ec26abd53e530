// Package upload is the sending half of the scan agent: it archives the overlay
// that internal/scan finds as a PAX tar stream (WriteOverlay), uploads a stream
// in resumable chunks (Uploader), and runs a whole scan against the API (Run).
//
// Nothing is staged: the tar is written straight into the upload's chunk
// buffers while the full ones are sent, with at most DefaultChunkBuffers
// chunks in memory, whatever the size of the scanned system.
package upload
