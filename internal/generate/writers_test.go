package generate

import (
	"testing"

	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

// artifactFor plans the artifact of an image "img" version 1.0 requested as
// o, for a raw disk of diskSize bytes (the tests' synthetic disks are small).
func artifactFor(t *testing.T, o spec.Output, diskSize int64) *plan.Artifact {
	t.Helper()
	p, err := plan.New(&spec.Spec{Name: "img", ImageVersion: "1.0", Distribution: spec.Distribution{Release: "12"}, Output: o}, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Artifact.Machine != nil {
		p.Artifact.Machine.DiskSize = diskSize
	}
	return &p.Artifact
}

// TestEveryActiveFormatHasWriters: whatever a plan of an active format
// names, the registry has the code that writes it.
func TestEveryActiveFormatHasWriters(t *testing.T) {
	for _, f := range target.Active() {
		a := artifactFor(t, spec.Output{Format: f.Name}, 1<<30)
		switch {
		case a.Disk == target.DiskNone:
			if _, err := treeWriterFor(a.Packaging); err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
		default:
			if _, err := encoder(a.Disk); err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
			if _, err := packagerFor(a.Packaging); a.Packaging != target.PackagingNone && err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
		}
	}
}
