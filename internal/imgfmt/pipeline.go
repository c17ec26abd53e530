package imgfmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// BlockKind says how a worker disposed of one block of a batch.
type BlockKind uint8

const (
	// BlockZero is all zeros: formats leave it unallocated.
	BlockZero BlockKind = iota
	// BlockRaw is stored as is; Block.Data aliases the chunk.
	BlockRaw
	// BlockCompressed is stored compressed; Block.Data aliases Batch.Out.
	BlockCompressed
)

// Block is the outcome of processing one block.
type Block struct {
	Kind BlockKind
	Data []byte
}

// Batch is one chunk travelling through the pipeline, with the per-block results
// filled in by a worker. Its buffers are recycled once the sink returns.
type Batch struct {
	Chunk
	// Blocks has one entry per block of Chunk.Data, set by the worker.
	Blocks []Block
	// Out is scratch space for the worker (compressed output), empty on entry,
	// with a capacity of Pipeline.OutSize; appending beyond it is allowed.
	Out []byte

	done chan struct{}
	err  error
	buf  []byte
}

// Pipeline reads a ChunkReader on one goroutine, processes batches on Workers
// goroutines and hands them to Sink in disk order on the calling goroutine.
// Memory is bounded: at most 2×Workers+2 batches exist at once.
type Pipeline struct {
	Reader    *ChunkReader
	BlockSize int
	ChunkSize int // bytes per batch, a multiple of BlockSize
	Workers   int // <= 0 means GOMAXPROCS
	OutSize   int // initial capacity of Batch.Out; 0 for workers that do not write output
	// NewWorker returns the processing function of one worker goroutine, so that
	// each worker can own its compressor.
	NewWorker func() (func(*Batch) error, error)
	// Sink consumes batches in order.
	Sink func(*Batch) error
}

// Run executes the pipeline until the reader is exhausted, ctx is cancelled or
// a stage fails. All goroutines have exited when it returns.
func (p *Pipeline) Run(ctx context.Context) error {
	if p.BlockSize <= 0 || p.ChunkSize <= 0 || p.ChunkSize%p.BlockSize != 0 {
		return fmt.Errorf("pipeline: chunk size %d is not a multiple of block size %d", p.ChunkSize, p.BlockSize)
	}
	workers := p.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	slots := 2*workers + 2
	// Small disks do not need full-size buffers.
	chunk := int(min(int64(p.ChunkSize), (p.Reader.Total()+int64(p.BlockSize)-1)/int64(p.BlockSize)*int64(p.BlockSize)))
	chunk = max(chunk, p.BlockSize)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	procs := make([]func(*Batch) error, workers)
	for i := range procs {
		f, err := p.NewWorker()
		if err != nil {
			return fmt.Errorf("pipeline: start worker: %w", err)
		}
		procs[i] = f
	}

	free := make(chan *Batch, slots)
	for range slots {
		free <- &Batch{
			buf:    make([]byte, chunk),
			Out:    make([]byte, 0, p.OutSize),
			Blocks: make([]Block, 0, chunk/p.BlockSize),
		}
	}
	order := make(chan *Batch, slots)
	work := make(chan *Batch, slots)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // reader
		defer wg.Done()
		defer close(order)
		defer close(work)
		for {
			var b *Batch
			select {
			case <-ctx.Done():
				return
			case b = <-free:
			}
			ch, err := p.Reader.Next(b.buf)
			if errors.Is(err, io.EOF) {
				return
			}
			b.Chunk, b.err = ch, err
			b.Blocks, b.Out = b.Blocks[:0], b.Out[:0]
			b.done = make(chan struct{})
			if err != nil {
				close(b.done)
				order <- b // delivered in order, so the sink reports it
				return
			}
			order <- b // never blocks: at most `slots` batches exist
			work <- b
		}
	}()
	for _, proc := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if ctx.Err() == nil {
					b.err = proc(b)
				}
				close(b.done)
			}
		}()
	}

	err := p.drain(ctx, order, free)
	cancel()
	for b := range order { // unblock and drain the reader after a failure
		<-b.done
	}
	wg.Wait()
	return err
}

func (p *Pipeline) drain(ctx context.Context, order <-chan *Batch, free chan<- *Batch) error {
	for b := range order {
		select {
		case <-ctx.Done():
			<-b.done
			return ctx.Err()
		case <-b.done:
		}
		if b.err != nil {
			return b.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.Sink(b); err != nil {
			return err
		}
		free <- b
	}
	return ctx.Err()
}

// DetectZero is the processing step of uncompressed formats: it marks each block
// zero or raw.
func DetectZero(b *Batch, blockSize int) {
	for i := 0; i < len(b.Data); i += blockSize {
		blk := b.Data[i : i+blockSize]
		if IsZero(blk) {
			b.Blocks = append(b.Blocks, Block{Kind: BlockZero})
		} else {
			b.Blocks = append(b.Blocks, Block{Kind: BlockRaw, Data: blk})
		}
	}
}
