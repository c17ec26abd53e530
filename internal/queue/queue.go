package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kilnhq/kiln/internal/store"
)

// ErrNotFound is returned (wrapped) for a job id the queue does not know.
var ErrNotFound = errors.New("job not found")

// Queue is the durable generation queue of one node.
type Queue struct {
	cfg    Config
	log    *slog.Logger
	sqlite bool
	be     *backend

	stopping atomic.Bool // set by Stop: a handler error then means "interrupted"

	mu      sync.Mutex
	started bool
	stopped bool
	done    chan struct{} // closed when the background goroutines have returned
	halt    context.CancelFunc
}

// New opens the queue in the store's database and brings River's tables up to
// date. On SQLite it shares the store's write pool (st.DB()); on PostgreSQL it
// opens its own pgxpool from dsn, the URL the store was opened with (River's
// PostgreSQL driver speaks pgx, not database/sql). Nothing runs until Start.
func New(ctx context.Context, st *store.SQL, dsn string, cfg Config) (*Queue, error) {
	sqlite := st.Dialect() == store.DialectSQLite
	cfg, err := cfg.withDefaults(sqlite)
	if err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, log: cfg.Logger.With("component", "queue"), sqlite: sqlite}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{q: q}); err != nil {
		return nil, fmt.Errorf("queue: register worker: %w", err)
	}
	rc := &river.Config{
		Logger:            q.log,
		Workers:           workers,
		JobTimeout:        cfg.JobTimeout,
		MaxAttempts:       cfg.MaxAttempts,
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(cfg.PollInterval, river.FetchCooldownDefault),
		// River's rescuer is the backstop; Recover, run by every node, normally
		// gets there first and reports the outcome through OnFinal.
		RescueStuckJobsAfter: cfg.RescueAfter + rescueBackstopMargin,
		// Finished jobs are the history the API reads job states from.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 30 * 24 * time.Hour,
	}
	if cfg.RunWorkers {
		rc.Queues = map[string]river.QueueConfig{queueName: {MaxWorkers: cfg.Workers}}
	}

	if sqlite {
		q.be, err = openSQLite(ctx, st.DB(), rc)
	} else {
		q.be, err = openPostgres(ctx, dsn, cfg.Workers, rc)
	}
	if err != nil {
		return nil, err
	}
	return q, nil
}

// Start rescues orphaned jobs and, when the queue runs workers, starts them.
// On SQLite every job still running belongs to a process that is gone, so it is
// rescued now, before any worker starts. ctx bounds the start only; Stop ends
// the queue.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.stopped {
		return errors.New("queue: already started or stopped")
	}
	if !q.cfg.RunWorkers {
		q.started = true
		return nil // an inserting node has nothing to run
	}
	if q.sqlite {
		if _, err := q.recover(ctx, orphanAll); err != nil {
			return err
		}
	}

	events, unsubscribe := q.be.client.SubscribeConfig(&river.SubscribeConfig{
		Kinds:    []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled},
		ChanSize: 10_000,
	})
	// River's client lives until Stop, not until the ctx of this call.
	if err := q.be.client.Start(context.WithoutCancel(ctx)); err != nil {
		unsubscribe()
		return fmt.Errorf("queue: start workers: %w", err)
	}
	bg, halt := context.WithCancel(context.WithoutCancel(ctx))
	q.halt = halt
	q.done = make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); q.deliver(bg, events) }()
	go func() { defer wg.Done(); q.rescueLoop(bg) }()
	go func() { wg.Wait(); unsubscribe(); close(q.done) }()
	q.started = true
	q.log.InfoContext(ctx, "queue started", "workers", q.cfg.Workers, "job_timeout", q.cfg.JobTimeout,
		"rescue_after", q.cfg.RescueAfter, "max_attempts", q.cfg.MaxAttempts, "sqlite", q.sqlite)
	return nil
}

// Stop stops fetching jobs and waits for running ones until ctx is done; then it
// cancels them, and each goes back to the queue without spending an attempt.
// It releases the queue's database pool (never the store's).
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return nil
	}
	q.stopped = true
	q.stopping.Store(true)
	var err error
	if q.started && q.cfg.RunWorkers {
		if serr := q.be.client.Stop(ctx); serr != nil {
			// Running builds did not finish in time: cancel them (they requeue).
			hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err = q.be.client.StopAndCancel(hard)
			cancel()
			if err != nil {
				err = fmt.Errorf("queue: stop workers: %w", err)
			}
		}
		q.halt()
		<-q.done
	}
	q.be.close()
	return err
}

// Enqueue adds a generation of image imageID and returns the job's id. Enqueuing
// an image that already has a live or completed job returns that job instead,
// so a retried API call never starts two builds of one image.
func (q *Queue) Enqueue(ctx context.Context, imageID int64) (int64, error) {
	res, err := q.be.client.Insert(ctx, generateArgs{ImageID: imageID}, &river.InsertOpts{
		Queue:       queueName,
		MaxAttempts: q.cfg.MaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	})
	if err != nil {
		return 0, fmt.Errorf("queue: enqueue image %d: %w", imageID, err)
	}
	return res.Job.ID, nil
}

// Status reads a job's state. It wraps ErrNotFound for an unknown id.
func (q *Queue) Status(ctx context.Context, jobID int64) (Status, error) {
	row, err := q.be.client.JobGet(ctx, jobID)
	if err != nil {
		return Status{}, q.jobErr(jobID, "read", err)
	}
	return statusOf(row), nil
}

func (q *Queue) jobErr(jobID int64, op string, err error) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("queue: %s job %d: %w", op, jobID, ErrNotFound)
	}
	return fmt.Errorf("queue: %s job %d: %w", op, jobID, err)
}

// deliver turns River's completion events into OnFinal calls.
func (q *Queue) deliver(ctx context.Context, events <-chan *river.Event) {
	for {
		select {
		case <-ctx.Done():
			// Deliver what is already buffered: jobs that ended during Stop.
			for {
				select {
				case ev, ok := <-events:
					if !ok {
						return
					}
					q.onEvent(ctx, ev)
				default:
					return
				}
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			q.onEvent(ctx, ev)
		}
	}
}

func (q *Queue) onEvent(ctx context.Context, ev *river.Event) {
	if ev.Job == nil {
		return
	}
	st := statusOf(ev.Job)
	if !st.State.Final() {
		return // a failed attempt that will be retried
	}
	q.log.InfoContext(ctx, "generation finished", "job_id", st.JobID, "image_id", st.ImageID, "state", st.State, "error", st.Error)
	q.final(ctx, st)
}

func (q *Queue) final(ctx context.Context, st Status) {
	if q.cfg.OnFinal != nil {
		q.cfg.OnFinal(context.WithoutCancel(ctx), st)
	}
}
