package uforge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// DecodeJSON reads one JSON document into v, which must be a pointer to a root type. The body
// may be wrapped ({"appliance":{…}}) or not ({…}). Strict like DecodeXML: unknown keys,
// repeated keys, wrong JSON types (a string where a number or boolean goes), and trailing data
// are *DecodeError. Tolerated: null means "not sent"; a list wrapper may hold a single value
// instead of an array ({"uri":"x"}), or be an empty object; an abstract element may carry
// "xsi:type" (or "@xsi:type"), with or without a prefix.
func DecodeJSON(r io.Reader, v Root) error {
	rv, err := rootStruct(v, true)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	name := v.RootName()
	doc, err := readJSON(dec, name, 0)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return decodeErr("", "trailing data after the JSON document")
	}
	if doc.kind != jObject {
		return decodeErr(name, "want a JSON object, got %s", doc.describe())
	}
	d := &jsonDecoder{types: typeCache{}}
	xsiType := rootXSIType(v)
	if len(doc.obj) == 1 && doc.obj[0].key == name && doc.obj[0].val.kind == jObject {
		// Wrapped, unless the root type has a field named like itself (collections:
		// {"images":{"image":[…]}}) and the wrapped reading fails.
		tmp := reflect.New(rv.Type()).Elem()
		werr := d.object(tmp, &doc.obj[0].val, xsiType, name, 1)
		if werr == nil {
			rv.Set(tmp)
			return nil
		}
		ti, err := d.types.info(rv.Type())
		if err != nil {
			return err
		}
		if _, _, ok := ti.lookup(name); !ok {
			return werr
		}
		tmp = reflect.New(rv.Type()).Elem()
		if d.object(tmp, doc, xsiType, name, 1) != nil {
			return werr
		}
		rv.Set(tmp)
		return nil
	}
	return d.object(rv, doc, xsiType, name, 1)
}

type jKind int

const (
	jNull jKind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

type jMember struct {
	key string
	val jValue
}

// jValue is a parsed JSON value that keeps member order and number literals, so that errors
// can quote what the client sent.
type jValue struct {
	kind jKind
	b    bool
	s    string // string value or number literal
	arr  []jValue
	obj  []jMember
}

func (v *jValue) describe() string {
	switch v.kind {
	case jNull:
		return "null"
	case jBool:
		return fmt.Sprint(v.b)
	case jNumber:
		return v.s
	case jString:
		return quote(v.s)
	case jArray:
		return "an array"
	}
	return "an object"
}

func readJSON(dec *json.Decoder, path string, depth int) (*jValue, error) {
	if depth > 2*maxDepth {
		return nil, decodeErr("", "JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, decodeErr("", "empty or truncated JSON document")
	}
	if err != nil {
		return nil, jsonSyntax(err)
	}
	switch t := tok.(type) {
	case nil:
		return &jValue{kind: jNull}, nil
	case bool:
		return &jValue{kind: jBool, b: t}, nil
	case json.Number:
		return &jValue{kind: jNumber, s: t.String()}, nil
	case string:
		return &jValue{kind: jString, s: t}, nil
	case json.Delim:
		if t == '[' {
			v := &jValue{kind: jArray}
			for dec.More() {
				e, err := readJSON(dec, path, depth+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, *e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonSyntax(err)
			}
			return v, nil
		}
		v := &jValue{kind: jObject}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, jsonSyntax(err)
			}
			key, _ := kt.(string)
			e, err := readJSON(dec, path, depth+1)
			if err != nil {
				return nil, err
			}
			v.obj = append(v.obj, jMember{key: key, val: *e})
		}
		if _, err := dec.Token(); err != nil {
			return nil, jsonSyntax(err)
		}
		return v, nil
	}
	return nil, decodeErr("", "malformed JSON")
}

func jsonSyntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return decodeErr("", "malformed JSON at offset %d: %s", se.Offset, se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return decodeErr("", "truncated JSON document")
	}
	return decodeErr("", "malformed JSON: %s", err)
}

type jsonDecoder struct {
	types typeCache
}

func isXSITypeKey(k string) bool { return k == "xsi:type" || k == "@xsi:type" }

func (d *jsonDecoder) object(sv reflect.Value, v *jValue, xsiType, path string, depth int) error {
	if depth > maxDepth {
		return decodeErr(path, "objects nested too deeply")
	}
	if v.kind != jObject {
		return decodeErr(path, "want an object, got %s", v.describe())
	}
	ti, err := d.types.info(sv.Type())
	if err != nil {
		return err
	}
	seen := make([]bool, len(ti.fields))
	seenXSI := false
	for mi := range v.obj {
		m := &v.obj[mi]
		p := path + "/" + m.key
		if isXSITypeKey(m.key) {
			if seenXSI {
				return decodeErr(p, "key repeated")
			}
			seenXSI = true
			if m.val.kind != jString {
				return decodeErr(p, "want a string, got %s", m.val.describe())
			}
			if err := checkXSIType(xsiType, m.val.s, path); err != nil {
				return err
			}
			continue
		}
		fi, i, ok := ti.lookup(m.key)
		if !ok {
			return decodeErr(p, "unknown key")
		}
		if seen[i] {
			return decodeErr(p, "key repeated")
		}
		seen[i] = true
		if m.val.kind == jNull {
			continue
		}
		fv := sv.FieldByIndex(fi.index)
		switch fi.kind {
		case kindUnsupported:
			if !jsonEmpty(&m.val) {
				return decodeErr(p, "not supported by this server")
			}
			fv.Set(reflect.New(fv.Type().Elem()))
		case kindScalar:
			nv := reflect.New(fv.Type().Elem())
			if err := jsonScalar(fi, nv.Elem(), &m.val, p); err != nil {
				return err
			}
			fv.Set(nv)
		case kindStruct:
			nv := reflect.New(fi.elem)
			if err := d.object(nv.Elem(), &m.val, fi.xsiType, p, depth+1); err != nil {
				return err
			}
			fv.Set(nv)
		case kindList:
			if err := d.list(fi, fv, &m.val, p, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *jsonDecoder) list(fi *fieldInfo, fv reflect.Value, v *jValue, path string, depth int) error {
	if v.kind != jObject {
		return decodeErr(path, `want {%q:[…]}, got %s`, fi.item, v.describe())
	}
	sl := reflect.MakeSlice(fv.Type(), 0, 0)
	if len(v.obj) > 1 {
		return decodeErr(path+"/"+v.obj[1].key, "unknown key (want only %q)", fi.item)
	}
	if len(v.obj) == 1 {
		m := &v.obj[0]
		if m.key != fi.item {
			return decodeErr(path+"/"+m.key, "unknown key (want %q)", fi.item)
		}
		items := m.val.arr
		switch m.val.kind {
		case jArray:
		case jNull:
			items = nil
		default:
			items = []jValue{m.val}
		}
		for i := range items {
			p := fmt.Sprintf("%s/%s[%d]", path, fi.item, i+1)
			item := reflect.New(fv.Type().Elem()).Elem()
			var err error
			if fi.elem != nil {
				err = d.object(item, &items[i], fi.xsiType, p, depth+2)
			} else {
				err = jsonScalar(fi, item, &items[i], p)
			}
			if err != nil {
				return err
			}
			sl = reflect.Append(sl, item)
		}
	}
	fv.Set(sl)
	return nil
}

func jsonScalar(fi *fieldInfo, t reflect.Value, v *jValue, path string) error {
	switch fi.scalar {
	case scalarBool:
		if v.kind != jBool {
			return decodeErr(path, "%s is not a boolean", v.describe())
		}
		t.SetBool(v.b)
		return nil
	case scalarInt, scalarInt64:
		if v.kind != jNumber {
			return decodeErr(path, "%s is not an integer", v.describe())
		}
		if strings.ContainsAny(v.s, ".eE") {
			return decodeErr(path, "%s is not an integer", v.s)
		}
	default:
		if v.kind != jString {
			return decodeErr(path, "%s is not a string", v.describe())
		}
	}
	return setScalar(fi, t, v.s, path)
}

// jsonEmpty reports whether v carries nothing: {}, or a wrapper whose items are [] or null.
func jsonEmpty(v *jValue) bool {
	if v.kind != jObject {
		return false
	}
	for _, m := range v.obj {
		if !(m.val.kind == jNull || (m.val.kind == jArray && len(m.val.arr) == 0)) {
			return false
		}
	}
	return true
}
