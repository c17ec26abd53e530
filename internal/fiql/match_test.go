package fiql

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The types below mimic internal/uforge's wire model: embedded base, pointers,
// wrapper element types, lists and custom leaf types.

type object struct {
	DBID     int64      `json:"dbId,omitempty"`
	Created  *time.Time `json:"created,omitempty"`
	Internal string     `json:"-"`
}

type imageFormat struct {
	Name string `json:"name"`
}

type category struct {
	Name string `json:"name"`
}

type targetFormat struct {
	object
	Name     string       `json:"name"`
	Format   *imageFormat `json:"format,omitempty"`
	Category category     `json:"category"`
}

// flag is a wrapper leaf with its own encoding, like an XML boolean type.
type flag struct{ set, v bool }

func (f flag) MarshalText() ([]byte, error) {
	if !f.set {
		return []byte(""), nil
	}
	if f.v {
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

// size has a pointer-receiver JSON encoding.
type size int64

func (s *size) MarshalJSON() ([]byte, error) { return json.Marshal(int64(*s) * 1024) }

type tag struct {
	Name string `json:"name"`
}

type image struct {
	object
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Revision     int           `json:"revision"`
	Compress     bool          `json:"compress"`
	Ratio        float64       `json:"ratio"`
	Published    flag          `json:"published"`
	Size         size          `json:"size"`
	TargetFormat *targetFormat `json:"targetFormat,omitempty"`
	Tags         []tag         `json:"tags"`
	Labels       []string      `json:"labels"`
	Extra        any           `json:"extra,omitempty"`
	NoTag        string
	secret       string
}

func sample() *image {
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return &image{
		object:       object{DBID: 42, Created: &created, Internal: "hidden"},
		Name:         "CentOS Base",
		Version:      "6.4",
		Revision:     3,
		Compress:     true,
		Ratio:        0.5,
		Published:    flag{set: true, v: true},
		Size:         2,
		TargetFormat: &targetFormat{object: object{DBID: 7}, Name: "Amazon AWS", Format: &imageFormat{Name: "aws"}, Category: category{"Cloud"}},
		Tags:         []tag{{"prod"}, {"web"}},
		Labels:       []string{"a", "b"},
		Extra:        map[string]any{"Owner": map[string]any{"login": "root"}, "n": 3.0},
		NoTag:        "plain",
		secret:       "s",
	}
}

func TestMatch(t *testing.T) {
	img := sample()
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{`name=='CentOS Base';version=='6.4'`, true},
		{`name=='CentOS Base';version=='6.5'`, false},
		{`name=='centos base'`, false}, // values are case-sensitive
		{`NAME=='CentOS Base'`, true},  // selectors are not
		{`dbId==42`, true},             // promoted from the embedded base
		{`dbid==42`, true},
		{`dbId==4*`, true},
		{`targetFormat.name=='Amazon AWS'`, true},
		{`targetFormat.dbId==7`, true},
		{`targetFormat.format.name==aws`, true},
		{`targetFormat.category.name==Cloud`, true},
		{`name=='*Base*'`, true},
		{`name=='*base*'`, false},
		{`name=='Cent*'`, true},
		{`name!=x`, true},
		{`name!='CentOS*'`, false},
		{`revision==3`, true},
		{`revision=gt=2;revision=lt=4;revision=ge=3;revision=le=3`, true},
		{`revision=gt=10`, false}, // numeric, not text, ordering ("3" > "10" as text)
		{`ratio==0.5`, true},
		{`compress==true`, true},
		{`compress==false`, false},
		{`published==true`, true}, // TextMarshaler wrapper
		{`size==2048`, true},      // pointer-receiver json.Marshaler
		{`created=gt=2024-04-30`, true},
		{`created=lt=2024-05-01T11:59:59Z`, false},
		{`created=='2024-05-01T12:00:00Z'`, true},
		{`tags.name==web`, true}, // any element
		{`tags.name==db`, false},
		{`tags.name!=web`, false},
		{`labels==b`, true},
		{`extra.owner.login==root`, true}, // map keys, case-insensitive
		{`extra.n==3`, true},
		{`extra.missing==x`, false}, // maps have no schema: missing key = no value
		{`NoTag==plain`, true},
		{`name==nope,dbId==42`, true},
		{`(name==nope,dbId==42);version==6.4`, true},
		{`name==nope,dbId==42;version==6.5`, false},
	} {
		e, err := Parse(tc.q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.q, err)
		}
		got, err := e.Match(img)
		if err != nil {
			t.Errorf("Match(%q): %v", tc.q, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.q, got, tc.want)
		}
		// A value and a pointer resolve the same way.
		if got2, err := e.Match(*img); err != nil || got2 != got {
			t.Errorf("Match(%q) on a value = %v, %v", tc.q, got2, err)
		}
	}
}

func TestMatchNilPointers(t *testing.T) {
	img := sample()
	img.TargetFormat = nil
	img.Created = nil
	for q, want := range map[string]bool{
		`targetFormat.name=='Amazon AWS'`:          false,
		`targetFormat.name!='Amazon AWS'`:          true, // '!=' is the negation of '=='
		`targetFormat.format.name==aws`:            false,
		`created=gt=2000-01-01`:                    false,
		`targetFormat.name==x,name=='CentOS Base'`: true,
	} {
		e, _ := Parse(q)
		got, err := e.Match(img)
		if err != nil || got != want {
			t.Errorf("Match(%q) = %v, %v; want %v", q, got, err, want)
		}
	}
}

func TestMatchUnknownSelector(t *testing.T) {
	img := sample()
	img.TargetFormat = nil // typos must be caught even behind a nil pointer
	for _, q := range []string{
		`nmae==x`,
		`targetFormat.nmae==x`,
		`targetFormat.format.name.more==x`,
		`internal==hidden`, // json:"-"
		`secret==s`,        // unexported
		`name==x,bogus==y`, // no short-circuit hides it
		`dbId==1;bogus==y`,
		`name.first==x`,
		`published.v==true`, // a marshalling wrapper is a value
	} {
		e, err := Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		_, err = e.Match(img)
		if err == nil || !strings.Contains(err.Error(), "unknown selector") {
			t.Errorf("Match(%q) error = %v, want unknown selector", q, err)
		}
	}
}

func TestMatchObjectIsNotAValue(t *testing.T) {
	e, _ := Parse(`targetFormat==x`)
	if _, err := e.Match(sample()); err == nil || !strings.Contains(err.Error(), "names an object") {
		t.Errorf("error = %v", err)
	}
	e, _ = Parse(`name==x`)
	if _, err := e.Match(nil); err == nil {
		t.Error("Match(nil) gave no error")
	}
}

func TestMatchSlicesOfObjects(t *testing.T) {
	list := []*image{sample(), nil, sample()}
	list[2].Name = "other"
	e, _ := Parse(`name==other`)
	if ok, err := e.Match(list); !ok || err != nil {
		t.Errorf("Match over a slice = %v, %v", ok, err)
	}
}

// wireImage uses internal/uforge's tag style: `uforge:"name,options"`, pointers for
// every optional scalar.
type wireImage struct {
	wireObject
	Name    *string   `uforge:"name"`
	Formats []wireFmt `uforge:"formats,list=format"`
	Hidden  string    `uforge:"-"`
}

type wireObject struct {
	DBID *int64 `uforge:"dbId"`
}

type wireFmt struct {
	Name *string `uforge:"name,enum=ImageFormatName"`
}

func TestMatchUForgeTags(t *testing.T) {
	name, id, aws := "nginx", int64(42), "aws"
	v := &wireImage{wireObject: wireObject{DBID: &id}, Name: &name, Formats: []wireFmt{{}, {Name: &aws}}}
	for q, want := range map[string]bool{
		`name==nginx`: true, `dbId==42`: true, `DBID==42`: true, `formats.name==aws`: true,
		`formats.name==qcow2`: false, `name!=nginx`: false,
	} {
		e, _ := Parse(q)
		got, err := e.Match(v)
		if err != nil || got != want {
			t.Errorf("Match(%q) = %v, %v; want %v", q, got, err, want)
		}
	}
	v.Name = nil
	e, _ := Parse(`name==nginx`)
	if got, err := e.Match(v); got || err != nil {
		t.Errorf("nil name: Match = %v, %v", got, err)
	}
	e, _ = Parse(`hidden==x`)
	if _, err := e.Match(v); err == nil {
		t.Error(`uforge:"-" field was selectable`)
	}
}

// encoded is a struct with its own whole-object encoding: its fields stay selectable.
type encoded struct {
	Name  string   `json:"name"`
	Inner *encoded `json:"inner,omitempty"`
}

func (e encoded) MarshalJSON() ([]byte, error) { return json.Marshal("encoded:" + e.Name) }

func TestMatchStructWithOwnEncoding(t *testing.T) {
	v := encoded{Name: "outer", Inner: &encoded{Name: "in"}}
	for q, want := range map[string]bool{`name==outer`: true, `inner.name==in`: true, `inner==encoded:in`: true} {
		e, _ := Parse(q)
		got, err := e.Match(v)
		if err != nil || got != want {
			t.Errorf("Match(%q) = %v, %v; want %v", q, got, err, want)
		}
	}
}
