package uforge

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"reflect"
)

type xmlEncoder struct {
	buf   bytes.Buffer
	types typeCache
}

func (e *xmlEncoder) encodeRoot(v Root) error {
	rv, err := rootStruct(v, false)
	if err != nil {
		return err
	}
	name := v.RootName()
	e.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	e.buf.WriteString("<ns0:" + name + ` xmlns:ns0="` + Namespace + `"`)
	if xt := rootXSIType(v); xt != "" {
		e.buf.WriteString(` xmlns:xsi="` + xsiNamespace + `" xsi:type="ns0:` + xt + `"`)
	}
	e.buf.WriteString(">")
	if err := e.fields(rv, name); err != nil {
		return err
	}
	e.buf.WriteString("</ns0:" + name + ">\n")
	return nil
}

func (e *xmlEncoder) fields(sv reflect.Value, path string) error {
	return visit(e.types, sv, func(fi *fieldInfo, fv reflect.Value) error {
		p := path + "/" + fi.name
		switch fi.kind {
		case kindScalar:
			return e.scalar(fi, fi.name, fv.Elem(), p)
		case kindStruct:
			return e.element(fi.name, fi.xsiType, fv.Elem(), p)
		}
		if fv.Len() == 0 {
			e.buf.WriteString("<" + fi.name + "/>")
			return nil
		}
		e.buf.WriteString("<" + fi.name + ">")
		for i := 0; i < fv.Len(); i++ {
			ip := fmt.Sprintf("%s/%s[%d]", p, fi.item, i+1)
			var err error
			if fi.elem != nil {
				err = e.element(fi.item, fi.xsiType, fv.Index(i), ip)
			} else {
				err = e.scalar(fi, fi.item, fv.Index(i), ip)
			}
			if err != nil {
				return err
			}
		}
		e.buf.WriteString("</" + fi.name + ">")
		return nil
	})
}

func (e *xmlEncoder) scalar(fi *fieldInfo, name string, v reflect.Value, path string) error {
	s := scalarText(fi.scalar, v)
	if err := checkEnum(fi, s, path); err != nil {
		return err
	}
	e.buf.WriteString("<" + name + ">")
	// EscapeText also replaces characters XML 1.0 cannot carry, so the output is always well formed.
	_ = xml.EscapeText(&e.buf, []byte(s))
	e.buf.WriteString("</" + name + ">")
	return nil
}

func (e *xmlEncoder) element(name, xsiType string, sv reflect.Value, path string) error {
	e.buf.WriteString("<" + name)
	if xsiType != "" {
		e.buf.WriteString(` xmlns:xsi="` + xsiNamespace + `" xsi:type="ns0:` + xsiType + `"`)
	}
	e.buf.WriteString(">")
	mark := e.buf.Len()
	if err := e.fields(sv, path); err != nil {
		return err
	}
	if e.buf.Len() == mark {
		e.buf.Truncate(mark - 1)
		e.buf.WriteString("/>")
		return nil
	}
	e.buf.WriteString("</" + name + ">")
	return nil
}
