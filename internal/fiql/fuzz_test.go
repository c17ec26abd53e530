package fiql

import (
	"reflect"
	"testing"
)

// FuzzParse checks that no input panics the parser or the matcher, and that
// every accepted query survives a round trip through String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`name=='CentOS Base';version=='6.4'`, `dbId==42`, `targetFormat.name=='Amazon AWS'`,
		`name==nginx`, `name=='*nginx*'`, `(name=='*nginx*'`, `a==1,(b!=2;c=gt=3)`, `x=="a\"b"`,
		`tags.name==web`, `extra.owner.login==root`, `created=ge=2024-01-01`, `((a==1))`, `a=lt=`,
	} {
		f.Add(s)
	}
	img := sample()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", s, err)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", e.String(), s, err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip changed %q: %s vs %s", s, e, again)
		}
		_, _ = e.Match(img)
		_, _ = e.Match(map[string]any{"name": "x", "n": []any{1, "2", nil}})
		_, _ = e.Equalities()
	})
}
