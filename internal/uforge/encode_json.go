package uforge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

type jsonEncoder struct {
	buf   bytes.Buffer
	types typeCache
}

func (e *jsonEncoder) encodeRoot(v Root) error {
	rv, err := rootStruct(v, false)
	if err != nil {
		return err
	}
	name := v.RootName()
	e.buf.WriteString("{")
	e.str(name)
	e.buf.WriteString(":")
	if err := e.object(rv, rootXSIType(v), name); err != nil {
		return err
	}
	e.buf.WriteString("}\n")
	return nil
}

func (e *jsonEncoder) str(s string) {
	b, _ := json.Marshal(s) // cannot fail for a string; invalid UTF-8 becomes U+FFFD
	e.buf.Write(b)
}

func (e *jsonEncoder) object(sv reflect.Value, xsiType, path string) error {
	e.buf.WriteString("{")
	first := true
	sep := func() {
		if !first {
			e.buf.WriteString(",")
		}
		first = false
	}
	if xsiType != "" {
		sep()
		e.buf.WriteString(`"xsi:type":`)
		e.str(xsiType)
	}
	err := visit(e.types, sv, func(fi *fieldInfo, fv reflect.Value) error {
		sep()
		e.str(fi.name)
		e.buf.WriteString(":")
		p := path + "/" + fi.name
		switch fi.kind {
		case kindScalar:
			return e.scalar(fi, fv.Elem(), p)
		case kindStruct:
			return e.object(fv.Elem(), fi.xsiType, p)
		}
		e.buf.WriteString("{")
		e.str(fi.item)
		e.buf.WriteString(":[")
		for i := 0; i < fv.Len(); i++ {
			if i > 0 {
				e.buf.WriteString(",")
			}
			ip := fmt.Sprintf("%s/%s[%d]", p, fi.item, i+1)
			var err error
			if fi.elem != nil {
				err = e.object(fv.Index(i), fi.xsiType, ip)
			} else {
				err = e.scalar(fi, fv.Index(i), ip)
			}
			if err != nil {
				return err
			}
		}
		e.buf.WriteString("]}")
		return nil
	})
	if err != nil {
		return err
	}
	e.buf.WriteString("}")
	return nil
}

func (e *jsonEncoder) scalar(fi *fieldInfo, v reflect.Value, path string) error {
	s := scalarText(fi.scalar, v)
	if err := checkEnum(fi, s, path); err != nil {
		return err
	}
	switch fi.scalar {
	case scalarBool, scalarInt, scalarInt64:
		e.buf.WriteString(s)
	default:
		e.str(s)
	}
	return nil
}
