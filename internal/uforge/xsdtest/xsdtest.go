// Package xsdtest validates XML documents against uforge.xsd with xmllint, for tests of every
// package that produces UForge wire documents, and finds the rest of the UForge reference
// material the tests compare Kiln with (hammr's example files).
//
// The reference material is not part of the repository: it lives next to it, in
// ../shared/reference. Without it (a clone on its own) the tests that need it are skipped with
// a message that says so; KILN_UFORGE_XSD_REQUIRED=1 (CI, and `make test` when
// ../shared/reference is there) turns those skips into failures.
package xsdtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/testenv"
)

// EnvXSD overrides the location of uforge.xsd.
const EnvXSD = "KILN_UFORGE_XSD"

// EnvRequired, set to 1, makes a missing schema, reference file or xmllint a test failure.
const EnvRequired = "KILN_UFORGE_XSD_REQUIRED"

// relXSD is uforge.xsd's path inside the reference material.
const relXSD = "uforge-api-docs/en/source/pages/dto-objects/uforge.xsd"

// ReferenceDir returns the directory of the UForge reference material: <root>/shared/reference,
// where <root> is the parent of the directory holding go.mod (the repository lives at
// <root>/main or another worktree beside it). The directory may not exist.
func ReferenceDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "reference"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// SchemaPath returns the path of uforge.xsd: $KILN_UFORGE_XSD, else the one in ReferenceDir.
func SchemaPath() (string, error) {
	if p := os.Getenv(EnvXSD); p != "" {
		return p, nil
	}
	ref, err := ReferenceDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(ref, relXSD)
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// Schema returns the path of uforge.xsd, or skips the test when it is absent (fails with
// KILN_UFORGE_XSD_REQUIRED=1).
func Schema(t testing.TB) string {
	t.Helper()
	p, err := SchemaPath()
	if err != nil {
		missing(t, "uforge.xsd: %v (set %s, or put the UForge reference material beside the repository, in ../shared/reference)", err, EnvXSD)
	}
	return p
}

// Reference returns the path of rel (a file or directory, e.g. "hammr-examples") inside the
// UForge reference material, or skips the test when it is absent (fails with
// KILN_UFORGE_XSD_REQUIRED=1).
func Reference(t testing.TB, rel string) string {
	t.Helper()
	ref, err := ReferenceDir()
	if err == nil {
		p := filepath.Join(ref, rel)
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	missing(t, "UForge reference %s: %v (the reference material lives beside the repository, in ../shared/reference)", rel, err)
	return ""
}

// missing skips, or fails with KILN_UFORGE_XSD_REQUIRED=1; either way the test ends here.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	required := os.Getenv(EnvRequired) == "1"
	if !required {
		format += " (skipped; " + EnvRequired + "=1 makes this a failure)"
	}
	testenv.Missing(t, required, "xsdtest: "+format, args...)
}

// Validate fails t unless doc is valid against uforge.xsd. It skips the test when xmllint or
// the schema is missing, so that `go test ./...` still runs on a bare machine; set
// KILN_UFORGE_XSD_REQUIRED=1 (CI) to turn the skip into a failure.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	xsd, xmllint := tools(t)
	cmd := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("xsdtest: document does not validate against uforge.xsd: %v\n%s\ndocument:\n%s", err, out, doc)
	}
}

// ValidateAll validates many documents with a single xmllint run (the schema takes ~0.1 s to
// load, so this is the fast path for table tests). Keys name the documents in failures.
func ValidateAll(t testing.TB, docs map[string][]byte) {
	t.Helper()
	xsd, xmllint := tools(t)
	dir := t.TempDir()
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	args := []string{"--noout", "--nonet", "--schema", xsd}
	files := map[string]string{}
	for i, name := range names {
		f := filepath.Join(dir, fmt.Sprintf("doc%03d.xml", i))
		if err := os.WriteFile(f, docs[name], 0o600); err != nil {
			t.Fatalf("xsdtest: %v", err)
		}
		files[f] = name
		args = append(args, f)
	}
	out, err := exec.Command(xmllint, args...).CombinedOutput()
	if err == nil {
		return
	}
	// xmllint prints "<file> validates" or "<file> fails to validate" plus error lines that
	// start with the file name.
	reported := false
	for f, name := range files {
		var lines []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, f) && !strings.HasSuffix(l, " validates") {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			reported = true
			t.Errorf("xsdtest: %s does not validate against uforge.xsd:\n%s\ndocument:\n%s", name, strings.Join(lines, "\n"), docs[name])
		}
	}
	if !reported {
		t.Errorf("xsdtest: xmllint failed: %v\n%s", err, out)
	}
}

// tools finds the schema and xmllint, or skips (fails with KILN_UFORGE_XSD_REQUIRED=1).
func tools(t testing.TB) (xsd, xmllint string) {
	t.Helper()
	xsd = Schema(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		missing(t, "xmllint not installed (apt-get install libxml2-utils)")
	}
	return xsd, xmllint
}
