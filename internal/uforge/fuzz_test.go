package uforge

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fuzzRoots are the request bodies the API decodes, plus a recursive type (category).
func fuzzRoots() []func() Root {
	return []func() Root{
		func() Root { return &Image{} }, func() Root { return &Appliance{} }, func() Root { return &InstallProfile{} },
		func() Root { return &OSProfile{} }, func() Root { return &PkgList{} }, func() Root { return &Roles{} },
		func() Root { return &User{} }, func() Root { return &APIKeyPair{} }, func() Root { return &ScannedInstance{} },
		func() Root { return &Category{} },
	}
}

func addSeeds(f *testing.F, ext string, encode func(*bytes.Buffer, Root) error) {
	files, _ := filepath.Glob(filepath.Join("testdata", "requests", "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, v := range fixtures() {
		var b bytes.Buffer
		if encode(&b, v) == nil {
			f.Add(b.Bytes())
		}
	}
}

// fuzzDecode checks that decoding never panics, fails only with *DecodeError, and that what it
// accepts re-encodes and decodes again to the same document.
func fuzzDecode(t *testing.T, data []byte, decode func([]byte, Root) error, encode func(*bytes.Buffer, Root) error) {
	for _, mk := range fuzzRoots() {
		v := mk()
		err := decode(data, v)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("%s: error %v is %T, not *DecodeError", v.RootName(), err, err)
			}
			continue
		}
		var b1, b2 bytes.Buffer
		if err := encode(&b1, v); err != nil {
			t.Fatalf("%s: decoded but cannot encode: %v", v.RootName(), err)
		}
		w := mk()
		if err := decode(b1.Bytes(), w); err != nil {
			t.Fatalf("%s: own encoding does not decode: %v\n%s", v.RootName(), err, b1.Bytes())
		}
		if err := encode(&b2, w); err != nil || !bytes.Equal(b1.Bytes(), b2.Bytes()) {
			t.Fatalf("%s: unstable encoding (%v):\n%s\n%s", v.RootName(), err, b1.Bytes(), b2.Bytes())
		}
	}
}

func FuzzDecodeXML(f *testing.F) {
	encode := func(b *bytes.Buffer, v Root) error { return EncodeXML(b, v) }
	addSeeds(f, "xml", encode)
	f.Add([]byte(`<ns0:image xmlns:ns0="` + Namespace + `"><name>a</name></ns0:image>trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, data, func(b []byte, v Root) error { return DecodeXML(bytes.NewReader(b), v) }, encode)
	})
}

func FuzzDecodeJSON(f *testing.F) {
	encode := func(b *bytes.Buffer, v Root) error { return EncodeJSON(b, v) }
	addSeeds(f, "json", encode)
	f.Add([]byte(`{"images":{"image":[{"name":"a"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, data, func(b []byte, v Root) error { return DecodeJSON(bytes.NewReader(b), v) }, encode)
	})
}
