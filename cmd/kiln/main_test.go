package main

import (
	"slices"
	"testing"
)

func TestAgentNames(t *testing.T) {
	for _, tc := range []struct {
		argv0 string
		want  []string
	}{
		{"/tmp/uforge-scan.bin", []string{"scan", "-u", "a", "-P"}},
		{"./kiln-scan", []string{"scan", "-u", "a", "-P"}},
		{"/usr/local/bin/kiln", []string{"-u", "a", "-P"}},
	} {
		if got := agentArgs(tc.argv0, []string{"-u", "a", "-P"}); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.argv0, got, tc.want)
		}
	}
}
