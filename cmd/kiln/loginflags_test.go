package main

import (
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/service"
)

// kiln serve has the login limits, settable by flag or KILN_ variable like
// every other.
func TestLoginFlags(t *testing.T) {
	clearSettingsEnv(t)
	t.Setenv("KILN_LOGIN_FAILURES", "8")
	got, err := settings(t, newServeCmd(), "--login-rate", "120", "--trust-forwarded-for")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"max-password-checks": "0", "login-rate": "120", "login-failures": "8", "trust-forwarded-for": "true"}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("--%s = %q, want %q", name, got[name], v)
		}
	}
}

// A limit that would lock everyone out is refused by name.
func TestLoginFlagsChecked(t *testing.T) {
	for _, tc := range []struct {
		l    loginFlags
		want string
	}{
		{loginFlags{perMinute: 60, freeFailures: 5}, ""},
		{loginFlags{maxChecks: 3, perMinute: 1, freeFailures: 1}, ""},
		{loginFlags{maxChecks: -1, perMinute: 60, freeFailures: 5}, "--max-password-checks"},
		{loginFlags{perMinute: 0, freeFailures: 5}, "--login-rate"},
		{loginFlags{perMinute: 60, freeFailures: 0}, "--login-failures"},
	} {
		p, err := tc.l.policy()
		switch {
		case tc.want == "" && (err != nil || p != service.LoginPolicy{MaxChecks: tc.l.maxChecks, ChecksPerMinute: tc.l.perMinute, FreeFailures: tc.l.freeFailures}):
			t.Errorf("%+v: %+v, %v", tc.l, p, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want an error naming %s", tc.l, err, tc.want)
		}
	}
}
