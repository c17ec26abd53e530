package uforge

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"time"
)

// EncodeXML writes v as an XML document: a root element prefixed ns0 in the uforge namespace,
// unqualified children in XSD order, list wrappers always present, xsi:type on abstract
// elements. Nothing is written when v cannot be encoded (for instance an enum field holding a
// value uforge.xsd does not allow), so the caller can still answer with an error.
func EncodeXML(w io.Writer, v Root) error {
	e := &xmlEncoder{types: typeCache{}}
	if err := e.encodeRoot(v); err != nil {
		return err
	}
	if _, err := w.Write(e.buf.Bytes()); err != nil {
		return fmt.Errorf("uforge: write XML %s: %w", v.RootName(), err)
	}
	return nil
}

// EncodeJSON writes v as {"<root>":{…}}: keys are element names, list wrappers are
// {"item":[…]} (kept when empty), absent fields are omitted, booleans and numbers are native,
// dateTimes use TimeLayout. An abstract element carries its concrete type as a first key
// "xsi:type" whose value is the bare type name, e.g. {"xsi:type":"LinuxProfile",…}.
func EncodeJSON(w io.Writer, v Root) error {
	e := &jsonEncoder{types: typeCache{}}
	if err := e.encodeRoot(v); err != nil {
		return err
	}
	if _, err := w.Write(e.buf.Bytes()); err != nil {
		return fmt.Errorf("uforge: write JSON %s: %w", v.RootName(), err)
	}
	return nil
}

// EncodeError reports a value that cannot be put on the wire.
type EncodeError struct {
	Path string
	Msg  string
}

func (e *EncodeError) Error() string { return "uforge: encode " + e.Path + ": " + e.Msg }

func checkEnum(fi *fieldInfo, s string, path string) error {
	if fi.enum == "" || slices.Contains(enumValues(fi.enum), s) {
		return nil
	}
	return &EncodeError{Path: path, Msg: fmt.Sprintf("%s is not a valid %s", quote(s), fi.enum)}
}

// visit calls f for every field of a struct value that must be written: set scalars and structs,
// and every list (wrappers are always written).
func visit(tc typeCache, sv reflect.Value, f func(fi *fieldInfo, fv reflect.Value) error) error {
	ti, err := tc.info(sv.Type())
	if err != nil {
		return err
	}
	for i := range ti.fields {
		fi := &ti.fields[i]
		fv := sv.FieldByIndex(fi.index)
		if fi.kind == kindUnsupported || (fi.kind != kindList && fv.IsNil()) {
			continue
		}
		if err := f(fi, fv); err != nil {
			return err
		}
	}
	return nil
}

// scalarText renders a scalar (already dereferenced) the same way for XML text and JSON.
func scalarText(sk scalarKind, v reflect.Value) string {
	switch sk {
	case scalarBool:
		if v.Bool() {
			return "true"
		}
		return "false"
	case scalarInt, scalarInt64:
		return fmt.Sprint(v.Int())
	case scalarTime:
		return formatTime(v.Interface().(time.Time))
	}
	return v.String()
}
