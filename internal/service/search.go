package service

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/fiql"
)

// Query is a UForge search: FIQL filter, paging and ordering (contract §1.7).
type Query struct {
	FIQL       string
	Count      int // page size, 0 = all
	Offset     int
	OrderBy    string
	Descending bool
}

// search applies a UForge search (FIQL filter, order, paging) to wire objects and
// returns the page and the number of matches. Per-user collections are small, so
// filtering in memory keeps one FIQL implementation for every resource.
func search[T any](items []T, q Query) ([]T, int, error) {
	if q.Count < 0 || q.Offset < 0 {
		return nil, 0, invalid("query.paging", "count and offset must not be negative")
	}
	matched := items
	if strings.TrimSpace(q.FIQL) != "" {
		expr, err := fiql.Parse(q.FIQL)
		if err != nil {
			return nil, 0, invalid("query.syntax", "%v", err)
		}
		matched = nil
		for i := range items {
			ok, err := expr.Match(&items[i])
			if err != nil {
				return nil, 0, invalid("query.selector", "%v", err)
			}
			if ok {
				matched = append(matched, items[i])
			}
		}
	}
	if q.OrderBy != "" {
		if len(matched) > 0 && !hasPath(reflect.TypeOf(matched[0]), q.OrderBy) {
			return nil, 0, invalid("query.orderBy", "orderBy: %q is not a field", q.OrderBy)
		}
		slices.SortStableFunc(matched, func(a, b T) int {
			c := compareText(fieldText(reflect.ValueOf(a), q.OrderBy), fieldText(reflect.ValueOf(b), q.OrderBy))
			if q.Descending {
				return -c
			}
			return c
		})
	} else if q.Descending {
		slices.Reverse(matched)
	}
	total := len(matched)
	if q.Offset >= len(matched) {
		return []T{}, total, nil
	}
	matched = matched[q.Offset:]
	if q.Count > 0 && q.Count < len(matched) {
		matched = matched[:q.Count]
	}
	return slices.Clone(matched), total, nil
}

// compareText orders numbers numerically and everything else as text.
func compareText(a, b string) int {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// structField finds a field by its wire name (uforge tag) or Go name, case-insensitively.
func structField(t reflect.Type, name string) (reflect.StructField, bool) {
	return t.FieldByNameFunc(func(n string) bool {
		f, _ := t.FieldByName(n)
		wire, _, _ := strings.Cut(f.Tag.Get("uforge"), ",")
		return strings.EqualFold(n, name) || strings.EqualFold(wire, name)
	})
}

func hasPath(t reflect.Type, path string) bool {
	for _, part := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		f, ok := structField(t, part)
		if !ok {
			return false
		}
		t = f.Type
	}
	return true
}

// fieldText renders the value at a dotted path ("" when absent).
func fieldText(v reflect.Value, path string) string {
	for _, part := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return ""
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return ""
		}
		f, ok := structField(v.Type(), part)
		if !ok {
			return ""
		}
		v = v.FieldByIndex(f.Index)
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if t, ok := v.Interface().(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return ""
}
