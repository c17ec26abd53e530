package configure

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/run"
)

// Test vectors from the specification ("Unix crypt using SHA-256 and SHA-512").
func TestSHA512CryptVectors(t *testing.T) {
	tests := []struct{ setting, password, want string }{
		{"$6$saltstring", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"$6$rounds=10000$saltstringsaltstring", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"$6$rounds=5000$toolongsaltstring", "This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
		{"$6$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
		{"$6$rounds=10$roundstoolow", "the minimum number is still observed", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."},
	}
	for _, tt := range tests {
		got, err := sha512Crypt(tt.password, tt.setting)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("sha512Crypt(%q, %q)\n got %s\nwant %s", tt.password, tt.setting, got, tt.want)
		}
	}
}

// HashPassword's output must verify with an independent implementation.
func TestHashPasswordMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	h, err := HashPassword("kiln")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(h, "$")
	if len(f) != 4 || f[1] != "6" || len(f[2]) != 16 || len(f[3]) != 86 {
		t.Fatalf("unexpected hash form %q", h)
	}
	out, err := run.Output(context.Background(), run.Cmd{Name: "openssl", Args: []string{"passwd", "-6", "-salt", f[2], "kiln"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != h {
		t.Errorf("openssl passwd -6 = %s, HashPassword = %s", got, h)
	}
}
