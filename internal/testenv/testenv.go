// Package testenv holds the switches that decide which of Kiln's tests run on
// this machine. It imports nothing from the repository, so that the tests of
// any package (and test helpers such as qemutest or xsdtest) may use it.
package testenv

import (
	"os"
	"testing"
)

// EnvE2E names the variable that turns on the end-to-end tests: KILN_E2E=1
// runs the tests that bootstrap Debian, download from the network, build
// images and boot them under QEMU (minutes, root). `make test` sets it.
const EnvE2E = "KILN_E2E"

// E2E reports whether the end-to-end tests run (KILN_E2E=1).
func E2E() bool { return os.Getenv(EnvE2E) == "1" }

// RequireE2E skips the test unless KILN_E2E=1. what says what the test does
// that makes it end-to-end ("boots two VMs under TCG (~30 s)"); it is shown in
// the skip message.
func RequireE2E(t testing.TB, what string) {
	t.Helper()
	if !E2E() {
		t.Skipf("end-to-end test (%s): set %s=1 to run it", what, EnvE2E)
	}
}

// Missing ends a test that lacks something it needs (a tool, a reference
// file): it is skipped, or it fails when mustHave says this machine is
// expected to have everything (CI, KILN_E2E=1). The message says what is
// missing and how to get it.
func Missing(t testing.TB, mustHave bool, format string, args ...any) {
	t.Helper()
	if mustHave {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
