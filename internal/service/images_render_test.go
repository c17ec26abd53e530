package service

import (
	"testing"

	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/store"
)

func TestArtifactFileName(t *testing.T) {
	planned := func(format string, compress bool) []byte {
		p, err := plan.New(&spec.Spec{Name: "Web Server", Distribution: spec.Distribution{Release: "12"},
			Output: spec.Output{Format: format, Compress: compress}}, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		format   string
		compress bool
		want     string
	}{
		{"Raw Virtual Disk", false, "web-server-1-0-r3.raw"},
		{"Raw Virtual Disk", true, "web-server-1-0-r3.raw.gz"},
		{"QCOW2", true, "web-server-1-0-r3.qcow2"},                  // qcow2 compresses inside
		{"Google Compute Engine", true, "web-server-1-0-r3.tar.gz"}, // compressed already
		{"VirtualBox", true, "web-server-1-0-r3.ova"},               // compressed by construction
		{"Docker", true, "web-server-1-0-r3.tar"},                   // the layer is gzipped inside
		{"LXC Container", true, "web-server-1-0-r3.tar.gz"},         // the whole tarball is
		{"ISO", true, "web-server-1-0-r3.iso"},                      // compress means nothing to it
		{"VMware Server", true, "web-server-1-0-r3.tar.gz"},         // a plain tar, gzipped
	} {
		img := &store.Image{Name: "Web Server", Version: "1.0", Revision: 3, Compress: tc.compress, Spec: planned(tc.format, tc.compress)}
		if got := artifactFileName(img); got != tc.want {
			t.Errorf("%s (compress %v): %q, want %q", tc.format, tc.compress, got, tc.want)
		}
	}
}

func TestRenderStatus(t *testing.T) {
	for _, tc := range []struct {
		name                            string
		img                             store.Image
		complete, cancelled, failed     bool
		message, errorMessage, detailed string
	}{
		{name: "running", img: store.Image{State: store.ImageRunning, Percentage: 40, Message: "disk"}, message: "disk"},
		{name: "queued without a message says its state", img: store.Image{State: store.ImageQueued}, message: "queued"},
		{name: "complete", img: store.Image{State: store.ImageComplete, Message: "Generation complete"}, complete: true, message: "Generation complete"},
		{name: "cancelled", img: store.Image{State: store.ImageCancelled, Message: "Generation cancelled"}, cancelled: true, message: "Generation cancelled"},
		{name: "error with detail", img: store.Image{State: store.ImageError, Message: "Generation failed", ErrorMsg: "rootfs: no such package", DetailedErr: "E: …"},
			failed: true, message: "Generation failed", errorMessage: "rootfs: no such package", detailed: "E: …"},
		{name: "error without one", img: store.Image{State: store.ImageError, Message: "Generation failed"},
			failed: true, message: "Generation failed", errorMessage: "Generation failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.img.ID, tc.img.ApplianceID = 8, 3
			st := renderStatus("alice", &tc.img)
			if *st.Complete != tc.complete || *st.Cancelled != tc.cancelled || *st.Error != tc.failed || *st.Message != tc.message ||
				*st.URI != "users/alice/appliances/3/images/8/status" || *st.ParentURI != "users/alice/appliances/3/images/8" {
				t.Fatalf("status %+v", st)
			}
			if !tc.failed {
				if st.ErrorMessage != nil || st.DetailedErrorMsg != nil {
					t.Errorf("error fields on a %s image", tc.img.State)
				}
				return
			}
			// hammr prints them: never null when error=true.
			if st.ErrorMessage == nil || *st.ErrorMessage != tc.errorMessage || st.DetailedErrorMsg == nil ||
				*st.DetailedErrorMsg != tc.detailed || *st.DetailedError != (tc.detailed != "") {
				t.Errorf("error fields %v %v %v", st.ErrorMessage, st.DetailedErrorMsg, st.DetailedError)
			}
		})
	}
}
