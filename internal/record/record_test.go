package record

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// The testdata files are documents as Kiln stored them before this package
// existed: each was marshalled by the types it replaced (scan.Report,
// generate.Fidelity, rootfs.InstalledPackage), with every field set. They must
// decode without an unknown field and encode back byte for byte.
func TestStoredDocumentsRoundTrip(t *testing.T) {
	for file, v := range map[string]any{
		"testdata/scan_report.json":    &ScanReport{},
		"testdata/fidelity.json":       &Fidelity{},
		"testdata/image_packages.json": &[]InstalledPackage{},
	} {
		stored, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		stored = bytes.TrimSpace(stored)
		dec := json.NewDecoder(bytes.NewReader(stored))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		back, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, stored) {
			t.Errorf("%s: encodes back as\n%s\nwant\n%s", file, back, stored)
		}
	}
}

// Empty documents keep their shape: which fields are omitted when empty is
// part of the stored format.
func TestEmptyDocuments(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{ScanReport{}, `{"scannedAt":"0001-01-01T00:00:00Z","root":"","live":false,"distribution":{"id":"","versionId":"","arch":""},"packages":null,"profile":{}}`},
		{Fidelity{}, `{"files":{"compared":0,"same":0,"missingCount":0,"differingCount":0,"skippedCount":0},"packages":{"compared":0,"same":0}}`},
		{[]InstalledPackage(nil), `null`},
	} {
		got, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%T encodes as\n%s\nwant\n%s", c.v, got, c.want)
		}
	}
}
