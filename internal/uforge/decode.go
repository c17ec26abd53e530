package uforge

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// DecodeError is returned for every problem in a request body. Path names the place, from the
// root element down, with 1-based positions for list items (XPath style), for example
// "appliance/installProfile/diskSize" or "appliance/imageUris/uri[2]". It is safe to show to
// the client.
type DecodeError struct {
	Path string
	Msg  string
}

func (e *DecodeError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// maxDepth bounds element nesting so that a hostile body (recursive category or partition
// trees) cannot make the decoder recurse without limit. Real documents stay below 10.
const maxDepth = 64

func decodeErr(path, format string, args ...any) *DecodeError {
	return &DecodeError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// setScalar parses text into the scalar target t (a non-pointer value of the field's scalar type).
func setScalar(fi *fieldInfo, t reflect.Value, text, path string) error {
	switch fi.scalar {
	case scalarString:
		if fi.enum != "" && !slices.Contains(enumValues(fi.enum), strings.TrimSpace(text)) {
			return decodeErr(path, "%s is not an allowed value", quote(text))
		}
		if fi.enum != "" {
			text = strings.TrimSpace(text)
		}
		t.SetString(text)
	case scalarBool:
		b, ok := parseXSDBool(text)
		if !ok {
			return decodeErr(path, "%s is not a boolean", quote(text))
		}
		t.SetBool(b)
	case scalarInt, scalarInt64:
		bits := 64
		if fi.scalar == scalarInt {
			bits = 32
		}
		n, err := parseInt(text, bits)
		if err != nil {
			return &DecodeError{Path: path, Msg: err.Error()}
		}
		t.SetInt(n)
	case scalarTime:
		tm, ok := parseTime(text)
		if !ok {
			return decodeErr(path, "%s is not a dateTime", quote(text))
		}
		t.Set(reflect.ValueOf(tm))
	}
	return nil
}

// xsiTypeName strips the prefix of an xsi:type value ("ns0:LinuxProfile" → "LinuxProfile").
func xsiTypeName(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		return v[i+1:]
	}
	return v
}

func checkXSIType(want, got, path string) error {
	if want == "" {
		return decodeErr(path, "xsi:type %s is not allowed here", quote(got))
	}
	if xsiTypeName(got) != want {
		return decodeErr(path, "xsi:type %s is not supported (want %s)", quote(got), want)
	}
	return nil
}
