package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/store"
)

// TestImageRequestPasswordsRefused: a password in an image request is
// refused with 400 and nothing is stored; what a request carries beyond the
// sizes and hardware type a generation honours is neither stored nor echoed,
// even from requests stored before.
func TestImageRequestPasswordsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, base := imagesOf(t, e, "alice")
	for _, ip := range []string{
		`<rootUser><name>root</name><password>hunter2-root</password></rootUser>`,
		`<users><user><name>ops</name><password>hunter2-ops</password></user></users>`,
		`<users><user><name>ops</name><password>$6$salt$8fKZheAmUG74NGfaJpvK1.AJmpQGR6WImZNOujEc5MmS2wF3vsIdpMxL8LbKIXlytaqRZz0Zlat1pEajc36eP/</password><encrypted>true</encrypted></user></users>`,
	} {
		alice.do("POST", base, `<ns0:image `+ns+`><compress>true</compress><targetFormat><name>QCOW2</name></targetFormat>
			<installProfile><diskSize>4096</diskSize>`+ip+`</installProfile></ns0:image>`).uforgeError(400, "takes no password").
			lacks("hunter2")
	}
	if got := usage(t, e, "alice"); got.Images != 0 {
		t.Fatalf("%d images stored after refused requests", got.Images)
	}

	// Without passwords: accepted, and only the honoured fields come back.
	r := alice.do("POST", base, `<ns0:image `+ns+`><compress>true</compress><targetFormat><name>QCOW2</name></targetFormat>
		<installProfile><diskSize>4096</diskSize><memorySize>1024</memorySize><timezone>Asia/Tokyo</timezone>
		<rootUser><disablePasswordLogin>true</disablePasswordLogin></rootUser></installProfile></ns0:image>`).expect(201).
		has("<diskSize>4096</diskSize>", "<memorySize>1024</memorySize>").lacks("Asia/Tokyo", "<rootUser>")
	id := r.field("dbId")
	alice.do("GET", base+"/"+id, "").expect(200).has("<diskSize>4096</diskSize>").lacks("Asia/Tokyo", "<rootUser>")

	// A request stored by an earlier Kiln, password and all, is not echoed.
	u, err := e.st.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(strings.Split(base, "/")[4], 10, 64)
	old := &store.Image{OwnerID: u.ID, ApplianceID: n, FormatID: 1, Name: "web", Version: "1.0", Revision: 9,
		Spec: []byte(`{}`), State: store.ImageError, DownloadKey: "k",
		Request: []byte(`{"installProfile":{"diskSize":2048,"rootUser":{"name":"root","password":"hunter2-legacy"}}}`)}
	if err := e.st.CreateImage(context.Background(), old, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	alice.do("GET", base+"/"+strconv.FormatInt(old.ID, 10), "").expect(200).has("<diskSize>2048</diskSize>").lacks("hunter2")
	alice.do("GET", base, "").expect(200).lacks("hunter2")
}
