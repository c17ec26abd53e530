package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Handler runs one generation. Its ctx is cancelled when the job is cancelled,
// times out (Config.JobTimeout) or the queue shuts down; it must then return
// promptly. A nil error completes the job; an error fails the attempt.
type Handler func(ctx context.Context, imageID int64) error

// Defaults for Config's zero values.
const (
	DefaultWorkers      = 2
	DefaultJobTimeout   = 2 * time.Hour
	DefaultMaxAttempts  = 2
	defaultRescueMargin = 15 * time.Minute
	// SQLite inserts wake the local producer through River's notification
	// outbox (polled every 50 ms); the fetch poll is the fallback.
	defaultPollSQLite   = 250 * time.Millisecond
	defaultPollPostgres = time.Second // LISTEN/NOTIFY wakes producers; polling is a fallback
)

// Config configures a Queue. Zero values take the defaults above.
type Config struct {
	// Workers is how many generations this node runs at once.
	Workers int
	// JobTimeout is the longest a generation may run; its ctx is then cancelled.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is presumed
	// orphaned (its worker died) and rescued. Not less than JobTimeout;
	// default JobTimeout + 15 min.
	RescueAfter time.Duration
	// MaxAttempts bounds the attempts of a job, counting an attempt whose worker
	// died. Default 2: a crash gets a second chance, a deterministic failure is
	// not retried forever.
	MaxAttempts int
	// PollInterval is how often a worker looks for new jobs when it was not woken
	// by a notification. Default 250 ms on SQLite, 1 s on PostgreSQL.
	PollInterval time.Duration
	// Handler runs the generation. Required when RunWorkers.
	Handler Handler
	// OnFinal, optional, is called once this node sees a job reach a final state:
	// when its worker finishes it, when Cancel cancels a queued job, when Recover
	// fails or cancels an orphan. It may rarely be called twice for a job and is
	// not called for a job finalised by another node or by River's backstop rescuer,
	// so callers reconcile with Status too. It must be quick and idempotent.
	OnFinal func(ctx context.Context, st Status)
	// RunWorkers makes this node work jobs. Without it the queue only inserts,
	// cancels and reads (the API of a multi-node setup, a CLI).
	RunWorkers bool
	// Logger receives the queue's and River's logs. Nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults(sqlite bool) (Config, error) {
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = c.JobTimeout + defaultRescueMargin
	}
	if c.RescueAfter < c.JobTimeout {
		return c, fmt.Errorf("queue: RescueAfter (%s) is shorter than JobTimeout (%s): running builds would be rescued", c.RescueAfter, c.JobTimeout)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.PollInterval <= 0 {
		c.PollInterval = defaultPollPostgres
		if sqlite {
			c.PollInterval = defaultPollSQLite
		}
	}
	if c.RunWorkers && c.Handler == nil {
		return c, errors.New("queue: RunWorkers needs a Handler")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
