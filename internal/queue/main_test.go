package queue_test

import (
	"os"
	"testing"

	"github.com/kilnhq/kiln/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server pgtest starts, and turns the test binary
// into a worker process when a test asks for one (see killed_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(pgtest.Main(m))
}
