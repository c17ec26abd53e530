package fiql

import (
	"fmt"
	"strings"
)

// MaxLength bounds a query: matching costs every term for every row searched,
// so a megabyte of alternatives would be a way to burn the server's CPU. No
// search a person or hammr writes comes near it.
const MaxLength = 4096

// maxDepth bounds parenthesis nesting so a hostile query cannot exhaust the stack.
const maxDepth = 64

// SyntaxError says what is wrong with a query and where (byte offset, from 0).
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("query: %s at %d", e.Msg, e.Pos) }

// Parse parses a FIQL query. An empty (or all-blank) query parses to the zero
// Expr, which matches everything.
func Parse(s string) (Expr, error) {
	if len(s) > MaxLength {
		return Expr{}, &SyntaxError{Pos: MaxLength, Msg: fmt.Sprintf("longer than %d bytes", MaxLength)}
	}
	p := &parser{s: s}
	p.skipSpace()
	if p.pos == len(s) {
		return Expr{}, nil
	}
	n, err := p.or(0)
	if err != nil {
		return Expr{}, err
	}
	p.skipSpace()
	if p.pos < len(s) {
		return Expr{}, p.unexpected()
	}
	return Expr{root: n}, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) unexpected() error {
	if p.pos >= len(p.s) {
		return &SyntaxError{Pos: len(p.s), Msg: "unexpected end of query"}
	}
	return &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf("unexpected %q", p.s[p.pos:p.pos+1])}
}

// or := and (',' and)*
func (p *parser) or(depth int) (Node, error) {
	var nodes []Node
	for {
		n, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		break
	}
	if len(nodes) == 1 {
		return nodes[0], nil
	}
	return &Or{Nodes: nodes}, nil
}

// and := term (';' term)*
func (p *parser) and(depth int) (Node, error) {
	var nodes []Node
	for {
		n, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		// Flatten a;(b;c) so Equalities sees one list.
		if a, ok := n.(*And); ok {
			nodes = append(nodes, a.Nodes...)
		} else {
			nodes = append(nodes, n)
		}
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == ';' {
			p.pos++
			continue
		}
		break
	}
	if len(nodes) == 1 {
		return nodes[0], nil
	}
	return &And{Nodes: nodes}, nil
}

// term := '(' or ')' | comparison
func (p *parser) term(depth int) (Node, error) {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		if depth >= maxDepth {
			return nil, &SyntaxError{Pos: p.pos, Msg: "parentheses nested too deeply"}
		}
		p.pos++
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			if p.pos >= len(p.s) {
				return nil, &SyntaxError{Pos: len(p.s), Msg: "missing ')'"}
			}
			return nil, p.unexpected()
		}
		p.pos++
		return n, nil
	}
	return p.comparison()
}

func isSelectorByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func (p *parser) comparison() (Node, error) {
	start := p.pos
	for p.pos < len(p.s) && isSelectorByte(p.s[p.pos]) {
		p.pos++
	}
	sel := p.s[start:p.pos]
	if sel == "" {
		return nil, p.unexpected()
	}
	for _, part := range strings.Split(sel, ".") {
		if part == "" {
			return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("empty name in selector %q", sel)}
		}
	}
	p.skipSpace()
	op, err := p.op()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	val, err := p.value()
	if err != nil {
		return nil, err
	}
	return &Comparison{Selector: sel, Op: op, Value: val}, nil
}

func (p *parser) op() (Op, error) {
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "=="):
		p.pos += 2
		return OpEq, nil
	case strings.HasPrefix(rest, "!="):
		p.pos += 2
		return OpNe, nil
	case strings.HasPrefix(rest, "="):
		end := strings.IndexByte(rest[1:], '=')
		if end < 0 {
			return "", &SyntaxError{Pos: p.pos, Msg: "incomplete operator"}
		}
		op := Op(rest[:end+2])
		switch op {
		case OpLt, OpLe, OpGt, OpGe:
			p.pos += len(op)
			return op, nil
		}
		return "", &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf("unknown operator %q", string(op))}
	}
	if p.pos >= len(p.s) {
		return "", &SyntaxError{Pos: p.pos, Msg: "missing operator"}
	}
	return "", &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf("expected an operator, found %q", p.s[p.pos:p.pos+1])}
}

// value := a single- or double-quoted string, or a bare one. Inside quotes a backslash
// escapes the next byte. A bare value runs to the next ';', ',' or ')', with
// trailing blanks dropped.
func (p *parser) value() (string, error) {
	if p.pos >= len(p.s) {
		return "", &SyntaxError{Pos: p.pos, Msg: "missing value"}
	}
	if q := p.s[p.pos]; q == '\'' || q == '"' {
		start := p.pos
		p.pos++
		var b strings.Builder
		for p.pos < len(p.s) {
			c := p.s[p.pos]
			switch {
			case c == '\\' && p.pos+1 < len(p.s):
				b.WriteByte(p.s[p.pos+1])
				p.pos += 2
			case c == q:
				p.pos++
				return b.String(), nil
			default:
				b.WriteByte(c)
				p.pos++
			}
		}
		return "", &SyntaxError{Pos: start, Msg: "unterminated quoted value"}
	}
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == ';' || c == ',' || c == ')' {
			break
		}
		if c == '(' || c == '\'' || c == '"' {
			return "", p.unexpected()
		}
		p.pos++
	}
	v := strings.TrimRight(p.s[start:p.pos], " \t\r\n")
	if v == "" {
		return "", &SyntaxError{Pos: start, Msg: "missing value"}
	}
	return v, nil
}
