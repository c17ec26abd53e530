package upload

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/scan/upload/uploadtest"
)

const testChunk = 64 << 10

// newUpload starts a fake server with one scan and returns an uploader for it.
func newUpload(t *testing.T) (*uploadtest.Server, *Uploader, *uploadtest.Scan) {
	t.Helper()
	srv := uploadtest.NewServer(t, "alice", "pw")
	c := &client.Client{BaseURL: srv.URL, User: "alice", Password: "pw", RetryWait: time.Millisecond}
	siid := srv.AddInstance("web01", true)
	sc, err := c.CreateScan(context.Background(), "alice", siid, []byte(`{"distribution":{"id":"debian"}}`))
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := client.ID("scan", sc.DBID)
	var scan *uploadtest.Scan
	for _, s := range srv.Scans() {
		if s.ID == sid {
			scan = s
		}
	}
	up := &Uploader{Client: c, User: "alice", InstanceID: siid, ScanID: sid, ChunkSize: testChunk,
		RetryWait: time.Millisecond, MaxRetryTime: 10 * time.Second, Logger: testLogger(t)}
	return srv, up, scan
}

// makeTar is a valid tar of exactly size bytes (a multiple of 512, ≥ 2048).
func makeTar(t *testing.T, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	content := make([]byte, size-512-1024)
	rand.NewChaCha8([32]byte{1}).Read(content)
	tw.WriteHeader(&tar.Header{Name: "data.bin", Size: int64(len(content)), Mode: 0o644, Typeflag: tar.TypeReg})
	tw.Write(content)
	tw.Close()
	if buf.Len() != size {
		t.Fatalf("tar of %d bytes, want %d", buf.Len(), size)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// upload runs up on data and checks the result and the server's copy.
func upload(t *testing.T, srv *uploadtest.Server, up *Uploader, sc *uploadtest.Scan, data []byte) {
	t.Helper()
	var progress []int64
	up.Progress = func(n int64) { progress = append(progress, n) }
	size, sum, err := up.Upload(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if size != int64(len(data)) || sum != sha(data) {
		t.Errorf("Upload = %d, %s; want %d, %s", size, sum, len(data), sha(data))
	}
	if state, received, msg, _, maxChunk := sc.State(); state != "complete" || received != int64(len(data)) || maxChunk > testChunk {
		t.Errorf("server: %s (%s), %d bytes, largest chunk %d", state, msg, received, maxChunk)
	}
	if !bytes.Equal(srv.OverlayBytes(sc.ID), data) {
		t.Error("the server's copy differs")
	}
	if len(progress) == 0 || progress[len(progress)-1] != int64(len(data)) {
		t.Errorf("progress %v", progress)
	}
}

func TestUpload(t *testing.T) {
	srv, up, sc := newUpload(t)
	upload(t, srv, up, sc, makeTar(t, 3*testChunk+512*7))
	if _, _, _, posts, _ := sc.State(); posts != 4 {
		t.Errorf("%d POSTs, want 4", posts)
	}
}

// A stream of whole chunks ends with an empty completing chunk.
func TestUploadExactChunks(t *testing.T) {
	srv, up, sc := newUpload(t)
	upload(t, srv, up, sc, makeTar(t, 4*testChunk))
	if _, _, _, posts, _ := sc.State(); posts != 5 {
		t.Errorf("%d POSTs, want 5 (the last one empty)", posts)
	}
}

// postFault injects fault into the overlay POSTs whose number (from 1) is in at.
func postFault(fault uploadtest.Fault, at ...int) func(int, *http.Request) uploadtest.Fault {
	var mu sync.Mutex
	posts := 0
	return func(_ int, r *http.Request) uploadtest.Fault {
		if r.Method != http.MethodPost {
			return uploadtest.NoFault
		}
		mu.Lock()
		defer mu.Unlock()
		posts++
		for _, n := range at {
			if n == posts {
				return fault
			}
		}
		return uploadtest.NoFault
	}
}

func TestUploadResumesAfterDroppedConnection(t *testing.T) {
	srv, up, sc := newUpload(t)
	srv.Fault = postFault(uploadtest.DropRequest, 2)
	upload(t, srv, up, sc, makeTar(t, 3*testChunk+2048))
	if !contains(srv.Calls(), "HEAD") {
		t.Error("no HEAD asked for the resume point")
	}
}

func TestUploadRetries503(t *testing.T) {
	srv, up, sc := newUpload(t)
	srv.Fault = postFault(uploadtest.Unavailable, 2, 3)
	upload(t, srv, up, sc, makeTar(t, 3*testChunk+2048))
}

// The server stored the chunk, but its answer was lost: the chunk must not be
// sent twice (the server would refuse it, or the archive would be corrupt).
func TestUploadAnswerLost(t *testing.T) {
	srv, up, sc := newUpload(t)
	srv.Fault = postFault(uploadtest.DropAnswer, 2)
	upload(t, srv, up, sc, makeTar(t, 3*testChunk+2048))
	if _, _, _, posts, _ := sc.State(); posts != 4 {
		t.Errorf("%d POSTs stored, want 4 (no chunk twice)", posts)
	}
}

// The completing request succeeded, but its answer was lost: the scan's
// status tells the agent it is complete.
func TestUploadFinalAnswerLost(t *testing.T) {
	srv, up, sc := newUpload(t)
	srv.Fault = postFault(uploadtest.DropAnswer, 4)
	upload(t, srv, up, sc, makeTar(t, 3*testChunk+2048))
}

// The last chunk was stored but the completion never ran: the agent sees the
// scan still open and sends the completion again, alone.
func TestUploadCompletionLost(t *testing.T) {
	srv, up, sc := newUpload(t)
	srv.Fault = postFault(uploadtest.StoreOnly, 4)
	upload(t, srv, up, sc, makeTar(t, 3*testChunk+2048))
	if _, _, _, posts, _ := sc.State(); posts != 5 {
		t.Errorf("%d POSTs, want 5 (the completion sent again with an empty body)", posts)
	}
}

func countCalls(calls []string, method, suffix string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, method+" ") && strings.HasSuffix(c, suffix) {
			n++
		}
	}
	return n
}

func contains(calls []string, prefix string) bool {
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

func TestUploadScanCancelled(t *testing.T) {
	for _, id := range []string{"scan.terminal", "kiln.scan.terminal"} {
		t.Run(id, func(t *testing.T) { testUploadScanCancelled(t, id) })
	}
}

func testUploadScanCancelled(t *testing.T, id string) {
	srv, up, sc := newUpload(t)
	srv.Fault = postFault(uploadtest.CancelScan, 2)
	srv.TerminalID = id
	_, _, err := up.Upload(context.Background(), bytes.NewReader(makeTar(t, 5*testChunk)))
	if !errors.Is(err, ErrScanTerminal) || !strings.Contains(err.Error(), "scan cancelled on the server: the scan is cancelled") {
		t.Fatalf("err = %v", err)
	}
	if n := countCalls(srv.Calls(), "POST", "/overlay"); n != 2 {
		t.Errorf("%d overlay POSTs: the agent did not stop at once", n)
	}
	if state, _, _, _, _ := sc.State(); state != "cancelled" {
		t.Errorf("server state %s", state)
	}
}

func TestUploadRejected(t *testing.T) {
	_, up, sc := newUpload(t)
	garbage := bytes.Repeat([]byte("not a tar archive "), 10000)
	_, _, err := up.Upload(context.Background(), bytes.NewReader(garbage))
	if err == nil || !strings.Contains(err.Error(), "the server rejected the overlay") || !strings.Contains(err.Error(), "not a tar archive") {
		t.Fatalf("err = %v", err)
	}
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != 400 {
		t.Errorf("not an APIError 400: %v", err)
	}
	if state, _, _, _, _ := sc.State(); state != "failed" {
		t.Errorf("server state %s", state)
	}
}

type failingReader struct {
	r     io.Reader
	after int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk on fire")
	}
	n, err := f.r.Read(p[:min(len(p), f.after)])
	f.after -= n
	return n, err
}

// A broken stream must never be completed: the server would accept a
// truncated archive whose size and checksum the agent computed itself.
func TestUploadStreamErrorDoesNotComplete(t *testing.T) {
	srv, up, sc := newUpload(t)
	_, _, err := up.Upload(context.Background(), &failingReader{r: bytes.NewReader(makeTar(t, 4*testChunk)), after: 2*testChunk + 100})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
	if state, _, _, _, _ := sc.State(); state != "open" {
		t.Errorf("server state %s", state)
	}
	for _, c := range srv.Calls() {
		if strings.Contains(c, "complete") {
			t.Errorf("completion sent: %s", c)
		}
	}
}

func TestUploadGivesUp(t *testing.T) {
	srv, up, _ := newUpload(t)
	srv.Fault = func(int, *http.Request) uploadtest.Fault { return uploadtest.Unavailable }
	up.MaxRetryTime = 100 * time.Millisecond
	start := time.Now()
	_, _, err := up.Upload(context.Background(), bytes.NewReader(makeTar(t, 2*testChunk)))
	if err == nil || !strings.Contains(err.Error(), "still failing") {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %v", el)
	}
}

func TestUploadContextCancel(t *testing.T) {
	srv, up, _ := newUpload(t)
	srv.Fault = func(int, *http.Request) uploadtest.Fault { return uploadtest.Unavailable }
	up.RetryWait = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := up.Upload(ctx, bytes.NewReader(makeTar(t, 2*testChunk)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

// The server has bytes the agent did not send this time (another agent, or a
// server bug): the stream cannot be rewound, so the upload fails clearly.
func TestUploadOffsetMismatch(t *testing.T) {
	_, up, sc := newUpload(t)
	data := makeTar(t, 2*testChunk)
	half := data[:testChunk/2]
	resp, err := up.Client.Send(context.Background(), http.MethodPost, up.path(), up.query(0, half, nil), "application/octet-stream", half)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("pre-store: %v %v", resp, err)
	}
	resp.Body.Close()
	_, _, err = up.Upload(context.Background(), bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "the server has 32768 bytes, the agent is at offset 0") {
		t.Fatalf("err = %v", err)
	}
	if state, _, _, _, _ := sc.State(); state != "open" {
		t.Errorf("server state %s", state)
	}
}

// heapSampler records the peak HeapInuse while it runs.
func heapSampler() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// TestUploadMemoryBounded sends 200 MiB in DefaultChunkSize chunks: the heap
// (client and the in-process fake server together) must stay far below the
// agent's 100 MB budget, since at most DefaultChunkBuffers chunks are held. It also measures MiB/s over loopback.
func TestUploadMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv, up, sc := newUpload(t)
	srv.Discard = true
	up.ChunkSize = DefaultChunkSize
	const total = 200 << 20
	src := io.LimitReader(rand.NewChaCha8([32]byte{7}), total)
	h := sha256.New()
	runtime.GC()
	stop := heapSampler()
	start := time.Now()
	size, sum, err := up.Upload(context.Background(), io.TeeReader(src, h))
	el := time.Since(start)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	if size != total || sum != hex.EncodeToString(h.Sum(nil)) {
		t.Errorf("Upload = %d, %s", size, sum)
	}
	if state, received, msg, posts, maxChunk := sc.State(); state != "complete" || received != total || maxChunk != DefaultChunkSize {
		t.Errorf("server: %s (%s), %d bytes in %d POSTs, largest %d", state, msg, received, posts, maxChunk)
	}
	t.Logf("upload: %d MiB in %v: %.0f MiB/s over loopback (CRC-32 and SHA-256 on both sides); peak HeapInuse %.1f MiB",
		total>>20, el.Round(time.Millisecond), float64(total>>20)/el.Seconds(), float64(peak)/(1<<20))
	if peak > DefaultChunkBuffers*DefaultChunkSize+16<<20 {
		t.Errorf("peak HeapInuse %.1f MiB: more than %d chunks in memory?", float64(peak)/(1<<20), DefaultChunkBuffers)
	}
}
