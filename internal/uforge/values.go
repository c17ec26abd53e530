package uforge

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Helpers that keep struct literals readable: every optional scalar is a pointer, so that a
// field that was not sent (nil) differs from one sent as false, 0 or "".

// Bool returns a pointer to b.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to i (xs:int fields).
func Int(i int) *int { return &i }

// Int64 returns a pointer to i (xs:long fields: dbId, sizes, totals).
func Int64(i int64) *int64 { return &i }

// Str returns a pointer to s.
func Str(s string) *string { return &s }

// Time returns a pointer to t (xs:dateTime fields). It is written in UTC with millisecond
// precision, the only dateTime form UForge emits.
func Time(t time.Time) *time.Time { return &t }

// TimeLayout is the dateTime layout used on the wire, in XML and JSON alike.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Deref helpers for reading decoded bodies: the zero value when the field was not sent.

// BoolValue returns *p, or false when p is nil.
func BoolValue(p *bool) bool { return p != nil && *p }

// IntValue returns *p, or 0 when p is nil.
func IntValue(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// Int64Value returns *p, or 0 when p is nil.
func Int64Value(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// StrValue returns *p, or "" when p is nil.
func StrValue(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func formatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// parseTime accepts the xs:dateTime lexical space: an optional fraction and an optional zone
// (no zone is read as UTC, which is what UForge servers mean).
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseXSDBool accepts the xs:boolean lexical space.
func parseXSDBool(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// parseInt parses a decimal integer that must fit in bits (32 for xs:int, 64 for xs:long).
func parseInt(s string, bits int) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "+"), 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%s is out of range for a %d-bit integer", quote(s), bits)
		}
		return 0, fmt.Errorf("%s is not an integer", quote(s))
	}
	return n, nil
}

// quote renders user input for an error message, shortened so a huge value cannot flood logs.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
