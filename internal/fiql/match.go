package fiql

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Match reports whether v satisfies the expression. Selectors are resolved
// against v's field names on the wire (json tag, else uforge tag, else the Go
// name) case-insensitively, through pointers, interfaces,
// embedded structs and maps with string keys; a slice along the path matches
// when any element does. Leaf values are compared as text (numbers and booleans
// included; types implementing encoding.TextMarshaler or json.Marshaler by their
// encoding). A nil pointer on the path yields no value: '==' and the ordering
// operators are false there and '!=' is true, since '!=' is the negation of '=='.
// A selector that names no field of v is an error, even where a nil pointer
// would have hidden it, so typos are reported instead of silently matching nothing.
func (e Expr) Match(v any) (bool, error) {
	if e.root == nil {
		return true, nil
	}
	return match(e.root, reflect.ValueOf(v))
}

func match(n Node, v reflect.Value) (bool, error) {
	switch n := n.(type) {
	case *Comparison:
		return compare(n, v)
	case *And:
		// No short-circuit: every selector is checked, so errors never depend on data.
		all := true
		for _, c := range n.Nodes {
			ok, err := match(c, v)
			if err != nil {
				return false, err
			}
			all = all && ok
		}
		return all, nil
	case *Or:
		anyOK := false
		for _, c := range n.Nodes {
			ok, err := match(c, v)
			if err != nil {
				return false, err
			}
			anyOK = anyOK || ok
		}
		return anyOK, nil
	}
	return false, fmt.Errorf("query: unknown node %T", n)
}

func compare(c *Comparison, root reflect.Value) (bool, error) {
	if !root.IsValid() {
		return false, fmt.Errorf("query: cannot resolve %q in a nil value", c.Selector)
	}
	if err := checkSelector(root.Type(), c.Selector); err != nil {
		return false, err
	}
	var leaves []reflect.Value
	if err := collect(root, strings.Split(c.Selector, "."), c.Selector, &leaves); err != nil {
		return false, err
	}
	if c.Op == OpNe {
		for _, l := range leaves {
			s, err := text(l, c.Selector)
			if err != nil {
				return false, err
			}
			if wildcardMatch(c.Value, s) {
				return false, nil
			}
		}
		return true, nil
	}
	for _, l := range leaves {
		s, err := text(l, c.Selector)
		if err != nil {
			return false, err
		}
		if c.Op == OpEq {
			if wildcardMatch(c.Value, s) {
				return true, nil
			}
			continue
		}
		cmp := order(s, c.Value)
		if c.Op == OpLt && cmp < 0 || c.Op == OpLe && cmp <= 0 || c.Op == OpGt && cmp > 0 || c.Op == OpGe && cmp >= 0 {
			return true, nil
		}
	}
	return false, nil
}

// marshals reports whether t has its own text encoding, which then is its value.
func marshals(t reflect.Type) bool {
	return t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) ||
		t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler)
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

// fansOut reports whether a value of t stands for its elements (any one may match).
func fansOut(t reflect.Type) bool {
	return (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8
}

// checkSelector validates the selector against the static type, so that an
// unknown name is an error even when the data holds a nil pointer there.
// Interfaces and maps are checked at run time instead. A struct is walked into
// even when it has its own encoding: the selector decides whether it wants the
// struct's value (selector ends there) or one of its fields.
func checkSelector(t reflect.Type, sel string) error {
	for _, name := range strings.Split(sel, ".") {
		for t.Kind() == reflect.Pointer || fansOut(t) && !marshals(t) {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Interface, reflect.Map:
			return nil
		case reflect.Struct:
			f, ok := field(t, name)
			if !ok {
				return fmt.Errorf("query: unknown selector %q: no field %q in %s", sel, name, t)
			}
			t = f.Type
		default:
			return fmt.Errorf("query: unknown selector %q: %s has no field %q", sel, t, name)
		}
	}
	return nil
}

// collect appends to out every value the path reaches from v.
func collect(v reflect.Value, path []string, sel string, out *[]reflect.Value) error {
	for v.IsValid() {
		isRef := v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface
		if isRef && v.IsNil() {
			return nil // no value here: '==' cannot match
		}
		if len(path) == 0 && marshals(v.Type()) {
			break // a value with its own encoding, even a slice or a struct
		}
		if isRef {
			v = v.Elem()
			continue
		}
		if fansOut(v.Type()) {
			for i := range v.Len() {
				if err := collect(v.Index(i), path, sel, out); err != nil {
					return err
				}
			}
			return nil
		}
		break
	}
	if !v.IsValid() {
		return nil
	}
	if len(path) == 0 {
		*out = append(*out, v)
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		f, ok := field(v.Type(), path[0])
		if !ok {
			return fmt.Errorf("query: unknown selector %q: no field %q in %s", sel, path[0], v.Type())
		}
		fv, ok := fieldValue(v, f.Index)
		if !ok {
			return nil // through a nil embedded pointer
		}
		return collect(fv, path[1:], sel, out)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("query: unknown selector %q: cannot select %q in %s", sel, path[0], v.Type())
		}
		var found reflect.Value
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key().String()
			if k == path[0] {
				found = iter.Value()
				break
			}
			if !found.IsValid() && strings.EqualFold(k, path[0]) {
				found = iter.Value()
			}
		}
		if !found.IsValid() {
			// A map has no schema: a missing key is missing data, not a typo.
			return nil
		}
		return collect(found, path[1:], sel, out)
	}
	return fmt.Errorf("query: unknown selector %q: %s has no field %q", sel, v.Type(), path[0])
}

// fieldValue follows an index path through embedded pointers; false when one is nil.
func fieldValue(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 {
			if v.Kind() == reflect.Pointer {
				if v.IsNil() {
					return reflect.Value{}, false
				}
				v = v.Elem()
			}
		}
		v = v.Field(x)
	}
	return v, true
}

// field finds the field whose wire name is name: exact first, then
// case-insensitively, promoting embedded structs like encoding/json does.
func field(t reflect.Type, name string) (reflect.StructField, bool) {
	fields := jsonFields(t)
	for _, f := range fields {
		if f.name == name {
			return f.field, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f.field, true
		}
	}
	return reflect.StructField{}, false
}

type namedField struct {
	name  string
	field reflect.StructField
}

// wireName is a field's name on the wire: its json tag, else its uforge tag
// (internal/uforge's wire model), else "" (the Go name is used). skip reports "-".
func wireName(f reflect.StructField) (name string, skip bool) {
	for _, key := range []string{"json", "uforge"} {
		tag, ok := f.Tag.Lookup(key)
		if !ok {
			continue
		}
		if tag == "-" {
			return "", true
		}
		if name, _, _ = strings.Cut(tag, ","); name != "" {
			return name, false
		}
	}
	return "", false
}

// jsonFields lists t's fields under their wire names, shallow ones first so that
// an outer field shadows a promoted one of the same name.
func jsonFields(t reflect.Type) []namedField {
	var out, promoted []namedField
	for i := range t.NumField() {
		f := t.Field(i)
		name, skip := wireName(f)
		if skip {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for _, sub := range jsonFields(et) {
					sub.field.Index = append([]int{i}, sub.field.Index...)
					promoted = append(promoted, sub)
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, namedField{name: name, field: f})
	}
	return append(out, promoted...)
}

// text renders a leaf value for comparison.
func text(v reflect.Value, sel string) (string, error) {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return "", nil
	}
	// Marshalers with pointer receivers need an addressable value.
	pv := v
	if v.Kind() != reflect.Pointer {
		if v.CanAddr() {
			pv = v.Addr()
		} else {
			pv = reflect.New(v.Type())
			pv.Elem().Set(v)
		}
	}
	if pv.CanInterface() {
		if m, ok := pv.Interface().(encoding.TextMarshaler); ok {
			b, err := m.MarshalText()
			if err != nil {
				return "", fmt.Errorf("query: read %q: %w", sel, err)
			}
			return string(b), nil
		}
		if m, ok := pv.Interface().(json.Marshaler); ok {
			b, err := m.MarshalJSON()
			if err != nil {
				return "", fmt.Errorf("query: read %q: %w", sel, err)
			}
			var s string
			if json.Unmarshal(b, &s) == nil {
				return s, nil
			}
			return string(b), nil
		}
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64), nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return string(v.Bytes()), nil
		}
	}
	return "", fmt.Errorf("query: selector %q names an object (%s), not a value", sel, v.Type())
}

// order compares a (the data) with b (the query): numerically when both are
// numbers, chronologically when both are dates, else as text.
func order(a, b string) int {
	if x, err := strconv.ParseFloat(a, 64); err == nil {
		if y, err := strconv.ParseFloat(b, 64); err == nil {
			return cmp3(x < y, x > y)
		}
	}
	if x, ok := parseTime(a); ok {
		if y, ok := parseTime(b); ok {
			return x.Compare(y)
		}
	}
	return strings.Compare(a, b)
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// wildcardMatch reports whether s matches pattern, where '*' matches any run of
// bytes (empty included) and every other byte matches itself.
func wildcardMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}
