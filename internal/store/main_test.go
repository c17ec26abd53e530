package store_test

import (
	"os"
	"testing"

	"github.com/kilnhq/kiln/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server pgtest starts for this binary.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
