package scan

import (
	"strings"
)

// parseShellVars reads the KEY=value assignments of a shell-sourced file
// (os-release, /etc/default/keyboard, /etc/default/grub …) without running it.
// Quotes ('…', "…") and backslash escapes are honoured; $VAR and ${VAR} expand to
// earlier assignments (vars may carry values from an earlier file: grub.d
// fragments build on /etc/default/grub). Anything that is not an assignment
// (commands, conditionals) is ignored: these files are data in practice.
func parseShellVars(data []byte, vars map[string]string) map[string]string {
	if vars == nil {
		vars = map[string]string{}
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		eq := strings.IndexByte(line, '=')
		if eq <= 0 || !isShellName(line[:eq]) {
			continue
		}
		vars[line[:eq]] = shellWord(line[eq+1:], vars)
	}
	return vars
}

func isShellName(s string) bool {
	for i, c := range s {
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// shellWord evaluates the first shell word of s: quotes removed, escapes and
// variable references resolved; an unquoted space or '#' ends it.
func shellWord(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				b.WriteString(s[i+1:])
				return b.String()
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
					i++
					b.WriteByte(s[i])
				case s[i] == '$':
					i += expandVar(s[i:], vars, &b) - 1
				default:
					b.WriteByte(s[i])
				}
			}
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '$':
			i += expandVar(s[i:], vars, &b) - 1
		case c == ' ' || c == '\t' || c == ';' || c == '#':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// expandVar writes the value of the reference at the start of s ("$NAME" or
// "${NAME}") and returns how many bytes it used; a lone "$" is literal.
func expandVar(s string, vars map[string]string, b *strings.Builder) int {
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end > 2 && isShellName(s[2:end]) {
			b.WriteString(vars[s[2:end]])
			return end + 1
		}
		b.WriteByte('$')
		return 1
	}
	n := 1
	for n < len(s) && isShellName(s[1:n+1]) {
		n++
	}
	if n == 1 {
		b.WriteByte('$')
		return 1
	}
	b.WriteString(vars[s[1:n]])
	return n
}
