package api

import "strings"

func cut(pattern string) (method, path string, ok bool) { return strings.Cut(pattern, " ") }

func join(s []string) string { return strings.Join(s, ", ") }
