// Package examples holds the example build specs. Reference, the appliance
// the docs, tests and benchmarks build, is embedded so that every test reads
// the same file without knowing where it sits.
package examples

import (
	_ "embed"

	"github.com/kilnhq/kiln/internal/spec"
)

//go:embed reference.yaml
var reference []byte

// Reference parses reference.yaml afresh: callers may change what they get.
func Reference() (*spec.Spec, error) { return spec.Parse(reference) }
