package app

import "context"

// Worker is a generation node (`kiln worker`): the store, the artifact store,
// the engine and the queue's workers running build jobs. It serves no API and
// creates no user: on an empty database it waits for a serving node to
// enqueue work. Start starts its workers.
type Worker struct {
	*core
}

// OpenWorker builds a worker node; Config.RunWorkers is implied and the
// API fields are ignored.
func OpenWorker(ctx context.Context, cfg Config) (*Worker, error) {
	c, err := openCore(ctx, &cfg, true)
	if err != nil {
		return nil, err
	}
	return &Worker{core: c}, nil
}
