package uforge

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// DecodeXML reads one XML document into v, which must be a pointer to a root type. The root
// element may carry any prefix, or none, and may sit in the uforge namespace or in no namespace;
// its local name must be v.RootName(). Children must be unqualified (or in the uforge namespace
// when the client declared it as default). Decoding is strict: unknown elements and attributes,
// repeated single elements, text where elements go, values of the wrong type, and anything but
// comments after the root are *DecodeError. Element order is not enforced.
// A list wrapper that is present decodes to a non-nil slice (possibly empty), an absent one
// stays nil, so an update can tell "clear the list" from "leave it alone".
func DecodeXML(r io.Reader, v Root) error {
	rv, err := rootStruct(v, true)
	if err != nil {
		return err
	}
	d := &xmlDecoder{dec: xml.NewDecoder(r), types: typeCache{}}
	d.dec.Strict = true
	d.dec.Entity = nil
	name := v.RootName()
	if err := d.root(rv, name, rootXSIType(v)); err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			return de
		}
		return err
	}
	return nil
}

type xmlDecoder struct {
	dec   *xml.Decoder
	types typeCache
}

func (d *xmlDecoder) token(path string) (xml.Token, error) {
	tok, err := d.dec.Token()
	if err == io.EOF {
		return nil, decodeErr(path, "unexpected end of document")
	}
	if err != nil {
		return nil, decodeErr(path, "malformed XML: %s", strings.TrimPrefix(err.Error(), "XML syntax error on "))
	}
	return tok, nil
}

func (d *xmlDecoder) root(rv reflect.Value, name, xsiType string) error {
	// Prolog: declaration, comments and whitespace only.
	for {
		tok, err := d.dec.Token()
		if err == io.EOF {
			return decodeErr("", "empty document, want <%s>", name)
		}
		if err != nil {
			return decodeErr("", "malformed XML: %s", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst, xml.Comment:
			continue
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) == 0 {
				continue
			}
			return decodeErr("", "text before the root element")
		case xml.Directive:
			return decodeErr("", "DTDs are not accepted")
		case xml.StartElement:
			if t.Name.Local != name || (t.Name.Space != "" && t.Name.Space != Namespace) {
				return decodeErr("", "root element is <%s>, want <%s> in namespace %s", displayName(t.Name), name, Namespace)
			}
			if err := d.attrs(t, xsiType, name); err != nil {
				return err
			}
			if err := d.structBody(rv, name, 1); err != nil {
				return err
			}
			return d.epilog(name)
		default:
			return decodeErr("", "unexpected %T before the root element", tok)
		}
	}
}

func (d *xmlDecoder) epilog(name string) error {
	for {
		tok, err := d.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeErr("", "trailing data after </%s>: %s", name, err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
			continue
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) == 0 {
				continue
			}
		}
		return decodeErr("", "trailing data after </%s>", name)
	}
}

func displayName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

// attrs accepts namespace declarations, and xsi:type where the element is abstract.
func (d *xmlDecoder) attrs(se xml.StartElement, xsiType, path string) error {
	for _, a := range se.Attr {
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
			continue
		case a.Name.Local == "type" && (a.Name.Space == xsiNamespace || a.Name.Space == "xsi"):
			if err := checkXSIType(xsiType, a.Value, path); err != nil {
				return err
			}
		default:
			return decodeErr(path, "unexpected attribute %s", displayName(a.Name))
		}
	}
	return nil
}

// child checks that a child element is unqualified (or in the uforge default namespace).
func childName(se xml.StartElement, path string) (string, error) {
	if se.Name.Space != "" && se.Name.Space != Namespace {
		return "", decodeErr(path+"/"+se.Name.Local, "unknown element (namespace %s)", se.Name.Space)
	}
	return se.Name.Local, nil
}

// structBody decodes the children of an element whose start tag was consumed, up to its end tag.
func (d *xmlDecoder) structBody(sv reflect.Value, path string, depth int) error {
	if depth > maxDepth {
		return decodeErr(path, "elements nested too deeply")
	}
	ti, err := d.types.info(sv.Type())
	if err != nil {
		return err
	}
	seen := make([]bool, len(ti.fields))
	for {
		tok, err := d.token(path)
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.Comment, xml.ProcInst:
			continue
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) != 0 {
				return decodeErr(path, "unexpected text %s", quote(strings.TrimSpace(string(t))))
			}
		case xml.Directive:
			return decodeErr(path, "unexpected directive")
		case xml.StartElement:
			name, err := childName(t, path)
			if err != nil {
				return err
			}
			p := path + "/" + name
			fi, i, ok := ti.lookup(name)
			if !ok {
				return decodeErr(p, "unknown element")
			}
			if seen[i] {
				return decodeErr(p, "element repeated")
			}
			seen[i] = true
			fv := sv.FieldByIndex(fi.index)
			if err := d.field(fi, fv, t, p, depth); err != nil {
				return err
			}
		}
	}
}

func (d *xmlDecoder) field(fi *fieldInfo, fv reflect.Value, se xml.StartElement, path string, depth int) error {
	switch fi.kind {
	case kindUnsupported:
		if err := d.attrs(se, "", path); err != nil {
			return err
		}
		if err := d.empty(path); err != nil {
			return err
		}
		fv.Set(reflect.New(fv.Type().Elem()))
		return nil
	case kindScalar:
		if err := d.attrs(se, "", path); err != nil {
			return err
		}
		text, err := d.text(path)
		if err != nil {
			return err
		}
		nv := reflect.New(fv.Type().Elem())
		if err := setScalar(fi, nv.Elem(), text, path); err != nil {
			return err
		}
		fv.Set(nv)
		return nil
	case kindStruct:
		if err := d.attrs(se, fi.xsiType, path); err != nil {
			return err
		}
		nv := reflect.New(fi.elem)
		if err := d.structBody(nv.Elem(), path, depth+1); err != nil {
			return err
		}
		fv.Set(nv)
		return nil
	}
	if err := d.attrs(se, "", path); err != nil {
		return err
	}
	return d.list(fi, fv, path, depth)
}

func (d *xmlDecoder) list(fi *fieldInfo, fv reflect.Value, path string, depth int) error {
	if depth+1 > maxDepth {
		return decodeErr(path, "elements nested too deeply")
	}
	sl := reflect.MakeSlice(fv.Type(), 0, 0)
	for {
		tok, err := d.token(path)
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			fv.Set(sl)
			return nil
		case xml.Comment, xml.ProcInst:
			continue
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) != 0 {
				return decodeErr(path, "unexpected text %s", quote(strings.TrimSpace(string(t))))
			}
		case xml.Directive:
			return decodeErr(path, "unexpected directive")
		case xml.StartElement:
			name, err := childName(t, path)
			if err != nil {
				return err
			}
			if name != fi.item {
				return decodeErr(path+"/"+name, "unknown element (want <%s>)", fi.item)
			}
			p := fmt.Sprintf("%s/%s[%d]", path, name, sl.Len()+1)
			item := reflect.New(fv.Type().Elem()).Elem()
			if fi.elem != nil {
				if err := d.attrs(t, fi.xsiType, p); err != nil {
					return err
				}
				if err := d.structBody(item, p, depth+2); err != nil {
					return err
				}
			} else {
				if err := d.attrs(t, "", p); err != nil {
					return err
				}
				text, err := d.text(p)
				if err != nil {
					return err
				}
				if err := setScalar(fi, item, text, p); err != nil {
					return err
				}
			}
			sl = reflect.Append(sl, item)
		}
	}
}

// text reads the character content of a simple element up to its end tag.
func (d *xmlDecoder) text(path string) (string, error) {
	var sb strings.Builder
	for {
		tok, err := d.token(path)
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.Comment, xml.ProcInst:
		case xml.EndElement:
			return sb.String(), nil
		case xml.StartElement:
			return "", decodeErr(path+"/"+t.Name.Local, "unexpected element inside a simple value")
		default:
			return "", decodeErr(path, "unexpected directive")
		}
	}
}

// empty consumes an element that must have no content: an unsupported element, or a wrapper of
// unsupported items with none in it. Empty item elements (<project/>) are refused too, since
// even an empty object is something Kiln would have to store.
func (d *xmlDecoder) empty(path string) error {
	for {
		tok, err := d.token(path)
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			return decodeErr(path+"/"+t.Name.Local, "not supported by this server")
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) != 0 {
				return decodeErr(path, "not supported by this server")
			}
		}
	}
}
