package upload

import (
	"bytes"
	"context"
	"testing"

	"github.com/kilnhq/kiln/internal/overlay"
)

// TestOverlayAcceptedByServerChecker runs the server's own validation
// (internal/overlay.Check, what Kiln's API applies to a completed upload) on
// what WriteOverlay produces: the two sides agree on names, links, xattrs.
func TestOverlayAcceptedByServerChecker(t *testing.T) {
	r, xattrs, _ := buildOverlayRoot(t)
	for _, all := range []bool{true, false} {
		var buf bytes.Buffer
		st, err := WriteOverlay(context.Background(), &buf, r.Dir, OverlayOptions{All: all})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]overlay.Entry{}
		sum, err := overlay.Check(context.Background(), bytes.NewReader(buf.Bytes()), overlay.DefaultLimits(), func(e overlay.Entry) error {
			seen[e.Path] = e
			return nil
		})
		if err != nil {
			t.Fatalf("All=%v: the server's checker rejects the overlay: %v", all, err)
		}
		if int64(len(seen)) != st.Entries {
			t.Errorf("All=%v: checker saw %d members, WriteOverlay wrote %d (%+v)", all, len(seen), st.Entries, sum)
		}
		if !all {
			continue
		}
		if e := seen["/usr/local/bin/suid"]; e.Mode != 0o4755 {
			t.Errorf("suid mode as the server reads it: %o", e.Mode)
		}
		if e := seen["/usr/bin/cat"]; e.LinkTarget != "/opt/catcopy" {
			t.Errorf("hard link as the server reads it: %+v", e)
		}
		if e := seen["/srv/www/tagged"]; xattrs && string(e.Xattrs["user.note"]) != "hello\x00bin" {
			t.Errorf("xattrs as the server reads them: %q", e.Xattrs)
		}
	}
}
