package fiql

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseShapes(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{`name=='CentOS Base';version=='6.4'`, `name=='CentOS Base';version=='6.4'`},
		{`dbId==42`, `dbId=='42'`},
		{`targetFormat.name=='Amazon AWS'`, `targetFormat.name=='Amazon AWS'`},
		{`name==nginx`, `name=='nginx'`},
		{`name=='*nginx*'`, `name=='*nginx*'`},
		{`name=="double 'quoted'"`, `name=='double \'quoted\''`},
		{`a==1,b==2;c==3`, `a=='1',b=='2';c=='3'`},             // ';' binds tighter
		{`(a==1,b==2);c==3`, `(a=='1',b=='2');c=='3'`},         // parentheses regroup
		{`a==1;(b==2;c==3)`, `a=='1';b=='2';c=='3'`},           // nested AND flattens
		{` a == 1 ; b != x `, `a=='1';b!='x'`},                 // blanks around tokens
		{`size=gt=10;size=le=20`, `size=gt='10';size=le='20'`}, // ordering operators
		{`name==CentOS Base`, `name=='CentOS Base'`},           // lenient bare value with a blank
		{`name==''`, `name==''`},
		{`a=='x\\y'`, `a=='x\\y'`},
		{`x_y-z.A==v`, `x_y-z.A=='v'`},
	} {
		e, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		again, err := Parse(e.String())
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Errorf("round trip of %q: %v, %v", tc.in, again, err)
		}
	}
}

func TestParsePrecedenceTree(t *testing.T) {
	e, err := Parse(`a==1,b==2;c==3`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Or{Nodes: []Node{
		&Comparison{"a", OpEq, "1"},
		&And{Nodes: []Node{&Comparison{"b", OpEq, "2"}, &Comparison{"c", OpEq, "3"}}},
	}}
	if !reflect.DeepEqual(e.Root(), want) {
		t.Errorf("tree = %s, want %s", e.Root(), want)
	}
}

func TestParseErrorsSayWhere(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{`name=='CentOS');a==b`, `query: unexpected ")" at 14`},
		{`(name==x`, `query: missing ')' at 8`},
		{`name=='x`, `query: unterminated quoted value at 6`},
		{`name`, `query: missing operator at 4`},
		{`name=x`, `query: incomplete operator at 4`},
		{`name=foo=x`, `query: unknown operator "=foo=" at 4`},
		{`name==`, `query: missing value at 6`},
		{`name==;a==b`, `query: missing value at 6`},
		{`==x`, `query: unexpected "=" at 0`},
		{`a==1;`, `query: unexpected end of query at 5`},
		{`a==1,,b==2`, `query: unexpected "," at 5`},
		{`a..b==1`, `query: empty name in selector "a..b" at 0`},
		{`a==b'c'`, `query: unexpected "'" at 4`},
	} {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	deep := ""
	for range maxDepth + 1 {
		deep += "("
	}
	if _, err := Parse(deep + "a==1"); err == nil {
		t.Error("excessive nesting accepted")
	}
	ok := "((((a==1))))"
	if _, err := Parse(ok); err != nil {
		t.Errorf("Parse(%q): %v", ok, err)
	}
}

func TestEmptyQueryMatchesAll(t *testing.T) {
	e, err := Parse("  ")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := e.Match(struct{}{}); !ok || err != nil {
		t.Errorf("empty query Match = %v, %v", ok, err)
	}
	if m, ok := e.Equalities(); !ok || len(m) != 0 {
		t.Errorf("empty query Equalities = %v, %v", m, ok)
	}
}

func TestEqualities(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{`name==nginx`, map[string]string{"name": "nginx"}, true},
		{`name=='*nginx*';version=='1.2'`, map[string]string{"name": "*nginx*", "version": "1.2"}, true},
		{`(name==a;version==b)`, map[string]string{"name": "a", "version": "b"}, true},
		{`name==a,name==b`, nil, false},
		{`name!=a`, nil, false},
		{`name==a;size=gt=3`, nil, false},
		{`name==a;name==b`, nil, false},
		{`name==a;(b==1,c==2)`, nil, false},
	} {
		e, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		got, ok := e.Equalities()
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Equalities(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSelectors(t *testing.T) {
	e, _ := Parse(`a==1,(b==2;a==3),c.d!=4`)
	if got := e.Selectors(); !reflect.DeepEqual(got, []string{"a", "b", "c.d"}) {
		t.Errorf("Selectors = %v", got)
	}
}

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{
		{"*nginx*", "nginx", true}, {"*nginx*", "libnginx-mod", true}, {"nginx*", "nginx-full", true},
		{"nginx*", "libnginx", false}, {"*", "", true}, {"a*b*c", "abc", true}, {"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false}, {"ab*ba", "aba", false}, {"a**b", "ab", true}, {"x", "X", false},
	} {
		if got := wildcardMatch(tc.p, tc.s); got != tc.ok {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}
