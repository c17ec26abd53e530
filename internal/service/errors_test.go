package service

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorKinds(t *testing.T) {
	cause := errors.New("disk full")
	for _, tc := range []struct {
		err      error
		kind     Kind
		id, msg  string
		hasCause bool
	}{
		{invalid("appliance.name", "appliance/name: %s", "is required"), KindInvalid, "appliance.name", "appliance/name: is required", false},
		{notFound("image", "image %d does not exist", 7), KindNotFound, "image", "image 7 does not exist", false},
		{conflict("image.running", "image %d is running", 3), KindConflict, "image.running", "image 3 is running", false},
		{forbidden("user.other", "not %q", "bob"), KindForbidden, "user.other", `not "bob"`, false},
		// Wrapped by a caller: still found, still the user's message.
		{fmt.Errorf("create: %w", &Error{Kind: KindUnavailable, ID: "packages.notLoaded", Msg: "retry shortly", Err: cause}),
			KindUnavailable, "packages.notLoaded", "retry shortly", true},
	} {
		e, ok := AsError(tc.err)
		if !ok || e.Kind != tc.kind || e.ID != tc.id || e.Msg != tc.msg || e.Error() != tc.msg {
			t.Errorf("AsError(%v) = %+v, %v; want kind %d, id %s, message %q", tc.err, e, ok, tc.kind, tc.id, tc.msg)
		}
		if errors.Is(tc.err, cause) != tc.hasCause {
			t.Errorf("%v: errors.Is(cause) = %v", tc.err, !tc.hasCause)
		}
	}
	if e, ok := AsError(cause); ok || e != nil {
		t.Errorf("AsError of a plain error = %v, %v; want nothing", e, ok)
	}
}
