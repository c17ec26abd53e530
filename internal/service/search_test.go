package service

import (
	"reflect"
	"slices"
	"testing"

	"github.com/kilnhq/kiln/internal/uforge"
)

func TestSearch(t *testing.T) {
	app := func(id int64, name, version string, revision int) uforge.Appliance {
		return uforge.Appliance{Object: uforge.Object{DBID: new(id)}, Name: new(name), Version: new(version), Revision: new(revision)}
	}
	all := []uforge.Appliance{app(1, "web", "1.0", 9), app(2, "db", "2.0", 10), app(3, "Web-front", "2.0", 1), app(4, "cache", "1.0", 2)}
	for _, tc := range []struct {
		name      string
		q         Query
		want      []int64 // dbIds of the page, in order
		wantTotal int
		wantErr   string // the Error ID
	}{
		{name: "everything", want: []int64{1, 2, 3, 4}, wantTotal: 4},
		{name: "wildcard", q: Query{FIQL: "name==*eb*"}, want: []int64{1, 3}, wantTotal: 2},
		{name: "and", q: Query{FIQL: "version==2.0;name==db"}, want: []int64{2}, wantTotal: 1},
		{name: "or", q: Query{FIQL: "name==cache,dbId==1"}, want: []int64{1, 4}, wantTotal: 2},
		{name: "nothing matches", q: Query{FIQL: "name==nope"}, want: []int64{}, wantTotal: 0},
		{name: "order by text, case-insensitive", q: Query{OrderBy: "name"}, want: []int64{4, 2, 1, 3}, wantTotal: 4},
		{name: "order by number, numerically", q: Query{OrderBy: "revision"}, want: []int64{3, 4, 1, 2}, wantTotal: 4},
		{name: "order descending", q: Query{OrderBy: "revision", Descending: true}, want: []int64{2, 1, 4, 3}, wantTotal: 4},
		{name: "descending alone reverses", q: Query{Descending: true}, want: []int64{4, 3, 2, 1}, wantTotal: 4},
		{name: "order is stable", q: Query{OrderBy: "version"}, want: []int64{1, 4, 2, 3}, wantTotal: 4},
		{name: "page", q: Query{OrderBy: "name", Offset: 1, Count: 2}, want: []int64{2, 1}, wantTotal: 4},
		{name: "last page", q: Query{Offset: 3, Count: 2}, want: []int64{4}, wantTotal: 4},
		{name: "past the end", q: Query{Offset: 9}, want: []int64{}, wantTotal: 4},
		{name: "total counts matches, not the page", q: Query{FIQL: "version==1.0", Count: 1}, want: []int64{1}, wantTotal: 2},
		{name: "negative count", q: Query{Count: -1}, wantErr: "query.paging"},
		{name: "negative offset", q: Query{Offset: -1}, wantErr: "query.paging"},
		{name: "syntax", q: Query{FIQL: "name=="}, wantErr: "query.syntax"},
		{name: "unknown selector", q: Query{FIQL: "colour==red"}, wantErr: "query.selector"},
		{name: "unknown order", q: Query{OrderBy: "colour"}, wantErr: "query.orderBy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, total, err := search(slices.Clone(all), tc.q)
			if tc.wantErr != "" {
				if e, ok := AsError(err); !ok || e.Kind != KindInvalid || e.ID != tc.wantErr {
					t.Fatalf("error %v, want invalid %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, a := range page {
				got = append(got, *a.DBID)
			}
			if !slices.Equal(got, tc.want) || total != tc.wantTotal {
				t.Errorf("page %v of %d, want %v of %d", got, total, tc.want, tc.wantTotal)
			}
		})
	}
}

func TestCompareText(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"9", "10", -1}, // numbers numerically
		{"2.5", "2.50", 0},
		{"b", "A", 1}, // text case-insensitively
		{"web", "Web", 0},
		{"10", "9a", -1}, // a number against text: as text
	} {
		if got := compareText(tc.a, tc.b); got != tc.want {
			t.Errorf("compareText(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestFieldText(t *testing.T) {
	img := uforge.Image{Name: new("web"), Compress: new(true), Revision: new(3),
		TargetFormat: &uforge.TargetFormat{Name: new("QCOW2")}}
	for _, tc := range []struct{ path, want string }{
		{"name", "web"},
		{"Name", "web"}, // the Go name works too
		{"compress", "true"},
		{"revision", "3"},
		{"targetFormat.name", "QCOW2"},
		{"targetFormat.uri", ""}, // nil
		{"status.message", ""},   // nil parent
		{"nothing", ""},
	} {
		if got := fieldText(reflect.ValueOf(img), tc.path); got != tc.want {
			t.Errorf("fieldText(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
	if !hasPath(reflect.TypeOf(img), "targetFormat.name") || hasPath(reflect.TypeOf(img), "targetFormat.colour") {
		t.Error("hasPath does not follow wire names through pointers")
	}
}
