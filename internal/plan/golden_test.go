package plan

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/examples"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current planner")

// TestGoldenPlans keeps one checked-in plan per active target format: the
// reference appliance planned for it with hammr's default compress flag. A
// change to what any format contains shows in review as a diff of its file
// (one seed for every format, so two formats' files differ only where the
// formats do);
// `go test ./internal/plan -update` rewrites them.
func TestGoldenPlans(t *testing.T) {
	ref := referenceSpec(t)
	seen := map[string]bool{}
	for _, f := range target.Active() {
		name := goldenName(f)
		seen[name] = true
		t.Run(f.Name, func(t *testing.T) {
			s := *ref
			s.Output.Format, s.Output.Compress = f.Name, f.Compress
			p, err := New(&s, Options{Rand: rand.NewChaCha8([32]byte{})})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/plan -update)", err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("the plan of %s changed (-golden +now); if intended, run go test ./internal/plan -update:\n%s", f.Name, d)
			}
			// The stored form reads back as the same plan.
			back, err := Decode(got)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(p, back); d != "" {
				t.Errorf("Decode(Marshal(plan)) differs:\n%s", d)
			}
		})
	}
	if *update {
		return
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, file := range files {
		if !seen[filepath.Base(file)] {
			t.Errorf("%s belongs to no active format: remove it", file)
		}
	}
	if len(seen) != len(target.Active()) || len(seen) < 31 {
		t.Errorf("%d golden plans for %d active formats", len(seen), len(target.Active()))
	}
}

var slug = regexp.MustCompile(`[^a-z0-9]+`)

// goldenName is the file of a format's golden plan: "01-qcow2.json".
func goldenName(f target.Format) string {
	return fmt.Sprintf("%02d-%s.json", f.ID, strings.Trim(slug.ReplaceAllString(strings.ToLower(f.Name), "-"), "-"))
}

func referenceSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := examples.Reference()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDecodeLegacySpec: an image queued by a Kiln that stored bare specs is
// planned when its job runs.
func TestDecodeLegacySpec(t *testing.T) {
	s := referenceSpec(t)
	s.Output.Format = "Vagrant Base Box"
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Artifact.Packaging != target.PackagingVagrantVirtualBox || p.Disk == nil || len(p.Spec.Install.Users) != 2 {
		t.Errorf("legacy spec planned as %+v", p.Artifact)
	}
	newer := bytes.Replace(mustMarshal(t, p), []byte(`"planVersion": 1`), []byte(`"planVersion": 99`), 1)
	if _, err := Decode(newer); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a plan from a newer Kiln: %v", err)
	}
}

func mustMarshal(t *testing.T, p *Plan) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
