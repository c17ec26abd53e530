package generate

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// goModMarker is the go.mod that hideFromGoTool writes. The go tool's ./...
// (go vet, go test, go list, go build) never descends into a directory that
// holds a go.mod: that is another module. So a data directory put inside a Go
// checkout does not make those commands walk the engine's trees: whole Debian
// roots, changing while builds run, with /proc mounted in a bootstrap's.
const goModMarker = `// Kiln's working files, not Go code. This file keeps the go tool's ./...
// (go vet, go test, go list) out of this directory when it lies inside a Go module.
module kiln.invalid/workfiles
`

// hideFromGoTool writes dir/go.mod (goModMarker) unless dir has one already.
func hideFromGoTool(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(goModMarker)
	return errors.Join(err, f.Close())
}
