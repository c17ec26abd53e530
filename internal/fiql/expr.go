// Package fiql parses and evaluates the FIQL expressions UForge clients send in
// the query= parameter of search endpoints (contract §1.7):
//
//	name=='CentOS Base';version=='6.4'
//	targetFormat.name=='Amazon AWS'
//	name=='*nginx*',dbId==42
//
// ';' (AND) binds tighter than ',' (OR); parentheses group; values are bare or
// quoted with '…' or "…"; '*' in a value matches any run of characters.
package fiql

import (
	"strings"
)

// Op is a comparison operator.
type Op string

// Operators. The ordering ones compare numbers numerically, dates as dates,
// anything else as text.
const (
	OpEq Op = "=="
	OpNe Op = "!="
	OpLt Op = "=lt="
	OpLe Op = "=le="
	OpGt Op = "=gt="
	OpGe Op = "=ge="
)

// Node is one node of a parsed expression: *Comparison, *And or *Or.
type Node interface {
	String() string
	node()
}

// Comparison is selector op value. Value holds '*' wildcards as written.
type Comparison struct {
	Selector string // dotted path, as written
	Op       Op
	Value    string // unquoted
}

// And holds two or more nodes that must all match.
type And struct{ Nodes []Node }

// Or holds two or more nodes of which one must match.
type Or struct{ Nodes []Node }

func (*Comparison) node() {}
func (*And) node()        {}
func (*Or) node()         {}

func (c *Comparison) String() string {
	return c.Selector + string(c.Op) + quote(c.Value)
}

func (a *And) String() string { return join(a.Nodes, ";") }
func (o *Or) String() string  { return join(o.Nodes, ",") }

func join(nodes []Node, sep string) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		s := n.String()
		// An OR inside an AND needs parentheses to keep its meaning.
		if _, isOr := n.(*Or); isOr && sep == ";" {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, sep)
}

// quote renders v so that Parse reads it back unchanged.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// Expr is a parsed query. The zero Expr matches everything (an empty query).
type Expr struct {
	root Node
}

// Root returns the top node, nil for an empty query.
func (e Expr) Root() Node { return e.root }

// String renders the expression canonically (values quoted); Parse(e.String())
// yields an equal expression.
func (e Expr) String() string {
	if e.root == nil {
		return ""
	}
	return e.root.String()
}

// Equalities returns selector → value when the expression is a pure AND of '=='
// comparisons (a single comparison included), each selector at most once, so a
// caller can turn it into an indexed filter (name==nginx → PackageFilter{Name:"nginx"}).
// Selectors are returned as written; values keep their '*' wildcards. The empty
// query yields an empty map and true.
func (e Expr) Equalities() (map[string]string, bool) {
	out := map[string]string{}
	if e.root == nil {
		return out, true
	}
	var cmps []Node
	switch n := e.root.(type) {
	case *And:
		cmps = n.Nodes
	case *Comparison:
		cmps = []Node{n}
	default:
		return nil, false
	}
	for _, n := range cmps {
		c, ok := n.(*Comparison)
		if !ok || c.Op != OpEq {
			return nil, false
		}
		if _, dup := out[c.Selector]; dup {
			return nil, false
		}
		out[c.Selector] = c.Value
	}
	return out, true
}

// Selectors lists the distinct selectors of the expression in order of appearance.
func (e Expr) Selectors() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *Comparison:
			if !seen[n.Selector] {
				seen[n.Selector] = true
				out = append(out, n.Selector)
			}
		case *And:
			for _, c := range n.Nodes {
				walk(c)
			}
		case *Or:
			for _, c := range n.Nodes {
				walk(c)
			}
		}
	}
	if e.root != nil {
		walk(e.root)
	}
	return out
}
