package uforge

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// The wire model is described once, by `uforge:"…"` struct tags, and both codecs walk it by
// reflection. Tag grammar: `uforge:"name[,list=item][,enum=Key][,xsitype=Type]"`.
//   - name: the element (XML) and key (JSON) name.
//   - list=item: a wrapper element holding repeated <item> elements ({"item":[…]} in JSON).
//     The wrapper is always emitted, even for an empty or nil slice.
//   - enum=Key: the value must be one of enumValues(Key), on input and on output.
//   - xsitype=Type: the element's declared type is abstract; it travels with xsi:type="ns0:Type".
//   - unsupported: a *Unsupported placeholder for an element Kiln does not model.
// Anonymous embedded structs are flattened in place, which gives the XSD rule "inherited
// elements first" for free as long as the base type is embedded first.

type fieldKind int

const (
	kindScalar      fieldKind = iota // *string, *bool, *int, *int64, *time.Time
	kindStruct                       // *T
	kindList                         // []T or []string behind a wrapper element
	kindUnsupported                  // *Unsupported: an XSD element Kiln does not model
)

// Unsupported stands for an element of uforge.xsd whose sub-tree Kiln never fills (logos,
// companies, projects, publish images …). Clients such as the appliance_clone example send
// these empty (<projects></projects>), so the decoders accept them when empty and set the
// field non-nil; any content is a *DecodeError ("not supported"). The encoders never write them.
type Unsupported struct{}

type scalarKind int

const (
	scalarString scalarKind = iota
	scalarBool
	scalarInt   // xs:int, 32-bit on the wire
	scalarInt64 // xs:long
	scalarTime  // xs:dateTime
)

type fieldInfo struct {
	name    string
	index   []int
	kind    fieldKind
	scalar  scalarKind   // kindScalar, and kindList of scalars
	elem    reflect.Type // struct type for kindStruct, and kindList of structs; nil for scalars
	item    string
	enum    string
	xsiType string
}

type typeInfo struct {
	fields []fieldInfo
	byName map[string]int
}

func (ti *typeInfo) lookup(name string) (*fieldInfo, int, bool) {
	i, ok := ti.byName[name]
	if !ok {
		return nil, 0, false
	}
	return &ti.fields[i], i, true
}

// typeCache memoises typeInfo for the duration of one encode or decode call; it is not shared
// between calls, so the package keeps no mutable state.
type typeCache map[reflect.Type]*typeInfo

var timeType = reflect.TypeOf(time.Time{})

func (c typeCache) info(t reflect.Type) (*typeInfo, error) {
	if ti, ok := c[t]; ok {
		return ti, nil
	}
	ti := &typeInfo{byName: map[string]int{}}
	c[t] = ti // set before recursing so self-referencing types (Category, Partition) terminate
	if err := c.collect(ti, t, nil); err != nil {
		delete(c, t)
		return nil, err
	}
	return ti, nil
}

func (c typeCache) collect(ti *typeInfo, t reflect.Type, prefix []int) error {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag, hasTag := sf.Tag.Lookup("uforge")
		if sf.Anonymous && !hasTag {
			if sf.Type.Kind() != reflect.Struct {
				return fmt.Errorf("uforge: %s.%s: embedded field must be a struct", t, sf.Name)
			}
			if err := c.collect(ti, sf.Type, index); err != nil {
				return err
			}
			continue
		}
		if !hasTag || !sf.IsExported() {
			continue
		}
		fi, err := parseField(sf, tag, index)
		if err != nil {
			return fmt.Errorf("uforge: %s.%s: %w", t, sf.Name, err)
		}
		if _, dup := ti.byName[fi.name]; dup {
			return fmt.Errorf("uforge: %s: element %q declared twice", t, fi.name)
		}
		ti.byName[fi.name] = len(ti.fields)
		ti.fields = append(ti.fields, fi)
	}
	return nil
}

func parseField(sf reflect.StructField, tag string, index []int) (fieldInfo, error) {
	parts := strings.Split(tag, ",")
	fi := fieldInfo{name: parts[0], index: index}
	if fi.name == "" {
		return fi, fmt.Errorf("empty element name")
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "list":
			fi.item = v
		case "enum":
			if enumValues(v) == nil {
				return fi, fmt.Errorf("unknown enum %q", v)
			}
			fi.enum = v
		case "xsitype":
			fi.xsiType = v
		case "unsupported":
			if sf.Type != reflect.TypeOf(&Unsupported{}) {
				return fi, fmt.Errorf("unsupported field must be *Unsupported")
			}
			fi.kind = kindUnsupported
			return fi, nil
		default:
			return fi, fmt.Errorf("unknown tag option %q", p)
		}
	}
	t := sf.Type
	switch {
	case fi.item != "":
		if t.Kind() != reflect.Slice {
			return fi, fmt.Errorf("list field must be a slice, not %s", t)
		}
		fi.kind = kindList
		e := t.Elem()
		if e.Kind() == reflect.Struct && e != timeType {
			fi.elem = e
			return fi, nil
		}
		sk, ok := scalarOf(e)
		if !ok {
			return fi, fmt.Errorf("unsupported list item type %s", e)
		}
		fi.scalar = sk
		return fi, nil
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem() != timeType:
		fi.kind = kindStruct
		fi.elem = t.Elem()
		return fi, nil
	case t.Kind() == reflect.Pointer:
		sk, ok := scalarOf(t.Elem())
		if !ok {
			return fi, fmt.Errorf("unsupported field type %s", t)
		}
		fi.kind = kindScalar
		fi.scalar = sk
		return fi, nil
	}
	return fi, fmt.Errorf("field type %s must be a pointer or a slice", t)
}

func scalarOf(t reflect.Type) (scalarKind, bool) {
	switch {
	case t == timeType:
		return scalarTime, true
	case t.Kind() == reflect.String:
		return scalarString, true
	case t.Kind() == reflect.Bool:
		return scalarBool, true
	case t.Kind() == reflect.Int:
		return scalarInt, true
	case t.Kind() == reflect.Int64:
		return scalarInt64, true
	}
	return 0, false
}

// rootXSIType reports the xsi:type a root element carries (only the abstract distribProfile root).
func rootXSIType(v Root) string {
	if x, ok := v.(interface{ xsiType() string }); ok {
		return x.xsiType()
	}
	return ""
}

// rootStruct returns the struct value behind a Root (a struct or a pointer to one).
func rootStruct(v Root, wantPtr bool) (reflect.Value, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return reflect.Value{}, fmt.Errorf("uforge: nil %T", v)
		}
		rv = rv.Elem()
	} else if wantPtr {
		return reflect.Value{}, fmt.Errorf("uforge: decode into non-pointer %T", v)
	}
	if rv.Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("uforge: %T is not a struct", v)
	}
	return rv, nil
}
