// Package hammr reads and writes the files of hammr, UForge's command-line
// client (contract §9): credentials files, builder files and template files,
// in JSON or YAML. It turns them into the UForge wire types Kiln's API takes,
// applying hammr's per-format generation rules, and names in warnings every
// part of a file that Kiln cannot honour instead of dropping it silently.
package hammr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Format is the syntax of a hammr file, chosen by its extension as hammr does.
type Format int

const (
	JSON Format = iota
	YAML
)

// FormatOf returns the syntax of a file named name (.json, .yml or .yaml); any
// other extension is refused, as hammr refuses it.
func FormatOf(name string) (Format, error) {
	if i := strings.IndexAny(name, "?#"); i >= 0 && isURL(name) {
		name = name[:i]
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return JSON, nil
	case ".yml", ".yaml":
		return YAML, nil
	}
	return 0, fmt.Errorf("%s: a hammr file is JSON (.json) or YAML (.yml, .yaml)", name)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// maxFile bounds what is read of a hammr file: they are a few KB.
const maxFile = 8 << 20

// Read returns the content of a local file, or of an http(s) URL (template
// create and scan build accept URLs, contract §9).
func Read(ctx context.Context, name string) ([]byte, error) {
	if !isURL(name) {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readAll(f, name)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, name, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", name, resp.Status)
	}
	return readAll(resp.Body, name)
}

func readAll(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("%s: larger than %d MB, not a hammr file", name, maxFile>>20)
	}
	return data, nil
}

// decode parses data (JSON or YAML) into v and returns the keys of the file
// that v has no field for, as dotted paths ("stack.os.foo"). Key names match
// case-insensitively, as encoding/json matches them.
func decode(data []byte, f Format, v any) (unknown []string, err error) {
	var tree any
	switch f {
	case JSON:
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&tree); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if d.More() {
			return nil, errors.New("invalid JSON: data after the document")
		}
	case YAML:
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		if tree, err = yamlTree(&doc, 0); err != nil {
			return nil, err
		}
	}
	if _, ok := tree.(map[string]any); !ok {
		return nil, errors.New("the file must hold an object (a mapping) at the top")
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("%s: %s is not a valid value here (want %s)", te.Field, te.Value, kindName(te.Type))
		}
		return nil, err
	}
	unknownKeys(tree, reflect.TypeOf(v), "", &unknown)
	sort.Strings(unknown)
	return unknown, nil
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	}
	return t.String()
}

// yamlTree turns a YAML document into what encoding/json decodes to, keeping
// the text of numbers (version: 1.0 stays "1.0" for a string field).
func yamlTree(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, errors.New("invalid YAML: nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlTree(n.Content[0], depth+1)
	case yaml.AliasNode:
		return yamlTree(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlTree(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlTree(c, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, err
		}
		return b, nil
	case "!!int", "!!float":
		if json.Valid([]byte(n.Value)) {
			return json.Number(n.Value), nil
		}
	}
	return n.Value, nil
}

// unknownKeys walks a decoded tree against the Go type it was decoded into.
func unknownKeys(tree any, t reflect.Type, where string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n := tree.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return
		}
		fields := jsonFields(t)
		for k, v := range n {
			ft, ok := fields[strings.ToLower(k)]
			p := k
			if where != "" {
				p = where + "." + k
			}
			if !ok {
				*out = append(*out, p)
				continue
			}
			unknownKeys(v, ft, p, out)
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return
		}
		for i, e := range n {
			unknownKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", where, i), out)
		}
	}
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// jsonFields maps the lower-cased JSON names of t's fields to their types;
// interface-typed fields (free-form parts) are leaves.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[strings.ToLower(name)] = f.Type
	}
	return m
}

// String is a text value that hammr files sometimes write as a number or a
// boolean (userId: 2222, publicImage: no).
type String string

func (s *String) UnmarshalJSON(b []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch t := v.(type) {
	case nil:
		*s = ""
	case string:
		*s = String(t)
	case json.Number:
		*s = String(t.String())
	case bool:
		*s = String(strconv.FormatBool(t))
	default:
		return &json.UnmarshalTypeError{Value: describe(v), Type: reflect.TypeOf("")}
	}
	return nil
}

// Int is an integer that may be written as a string ("7").
type Int int64

func (n *Int) UnmarshalJSON(b []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	default:
		return &json.UnmarshalTypeError{Value: describe(v), Type: reflect.TypeOf(int64(0))}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return &json.UnmarshalTypeError{Value: strconv.Quote(s), Type: reflect.TypeOf(int64(0))}
		}
		i = int64(f)
	}
	*n = Int(i)
	return nil
}

// Bool is a boolean that may be written as a string ("true", "yes", "no").
type Bool bool

func (x *Bool) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case bool:
		*x = Bool(t)
		return nil
	case float64:
		*x = t != 0
		return nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "yes", "y", "1", "on":
			*x = true
			return nil
		case "false", "no", "n", "0", "off", "":
			*x = false
			return nil
		}
	}
	return &json.UnmarshalTypeError{Value: describe(v), Type: reflect.TypeOf(false)}
}

// CSV is a comma-separated list that may also be written as a list.
type CSV string

func (c *CSV) UnmarshalJSON(b []byte) error {
	var list []String
	if err := json.Unmarshal(b, &list); err == nil {
		parts := make([]string, len(list))
		for i, s := range list {
			parts[i] = strings.TrimSpace(string(s))
		}
		*c = CSV(strings.Join(parts, ","))
		return nil
	}
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*c = CSV(s)
	return nil
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func ptrInt(p *Int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func ptrBool(p *Bool) *bool {
	if p == nil {
		return nil
	}
	v := bool(*p)
	return &v
}

func strPtr(s String) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}
