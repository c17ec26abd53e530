// Package queue is the durable job queue of image generations. The API creates
// an image row and enqueues "generate image N"; workers, embedded in
// `kiln serve` or alone in `kiln worker`, run the Handler for it.
//
// It is built on River (riverqueue.com), hidden behind this package's small API:
//
//   - Embedded default: SQLite, River's riversqlite driver, on the store's own
//     write pool (store.SQL.DB(), one connection). One process only.
//   - Multi-node: PostgreSQL, River's riverpgxv5 driver on a pgxpool opened from
//     the store's DSN; any number of nodes insert and work.
//
// Rules for long builds: the job timeout is the maximum build time (Config.JobTimeout),
// a job running longer than Config.RescueAfter is presumed orphaned, and a failed
// build is tried at most Config.MaxAttempts times. A job whose worker died is never
// left running: on SQLite, Start rescues every running job at once (no other process
// can be working it); on PostgreSQL, every node rescues jobs running for longer than
// RescueAfter, with River's own rescuer as a backstop. Rescue retries the job when
// attempts remain and otherwise fails it with an error the caller can read.
package queue
