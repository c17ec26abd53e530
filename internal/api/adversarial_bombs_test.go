package api_test

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// bomb is a request built to exhaust the server: it must be refused with
// status (naming fragment) within bounded time and allocation.
type bomb struct {
	name, method, path, body string
	json                     bool
	chunked                  bool // sent without a Content-Length
	status                   int
	fragment                 string
}

// Bounds far above what a refusal costs and far below what an expansion or an
// unbounded recursion would: a 2-core CI machine shared with other jobs still
// answers well within them.
const (
	bombTime  = 5 * time.Second
	bombAlloc = 64 << 20
)

func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		b.WriteString(`<!ENTITY lol` + itoa(i) + ` "` + strings.Repeat("&lol"+itoa(i-1)+";", 10) + `">`)
	}
	b.WriteString(`]><ns0:appliance ` + ns + `><name>&lol9;</name><version>1</version></ns0:appliance>`)
	return b.String()
}

// nestedPartitions nests logical partitions, a recursive element of the
// install profile, n levels deep.
func nestedPartitions(n int) string {
	return `<ns0:installProfile ` + ns + `><partitionTable><disks><disk><partitions><partition>` +
		strings.Repeat(`<logicalPartitions><logicalPartition>`, n) + strings.Repeat(`</logicalPartition></logicalPartitions>`, n) +
		`</partition></partitions></disk></disks></partitionTable></ns0:installProfile>`
}

func bombs(apps, profile, pkgs string) []bomb {
	const deep = 100_000
	unknown := make([]string, 3000) // 51 KiB, within the body limit
	for i := range unknown {
		unknown[i] = `{"name":"x` + itoa(i) + `"}`
	}
	return []bomb{
		{name: "billion laughs", method: "POST", path: apps, body: billionLaughs(), status: 400, fragment: "DTDs are not accepted"},
		{name: "external entity", method: "POST", path: apps, status: 400, fragment: "DTDs are not accepted",
			body: `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ns0:appliance ` + ns + `><name>&xxe;</name><version>1</version></ns0:appliance>`},
		{name: "undeclared entity", method: "POST", path: apps, status: 400, fragment: "appliance/name",
			body: `<ns0:appliance ` + ns + `><name>&lol9;</name><version>1</version></ns0:appliance>`},
		{name: "XML nested 100k levels", method: "PUT", path: profile, status: 413, fragment: "larger than",
			body: `<ns0:installProfile ` + ns + `>` + strings.Repeat("<a>", deep) + strings.Repeat("</a>", deep) + `</ns0:installProfile>`},
		{name: "XML nested within the body limit", method: "PUT", path: profile, body: nestedPartitions(500), status: 400, fragment: "too deeply"},
		{name: "JSON nested 100k levels", method: "POST", path: apps, json: true, status: 413, fragment: "larger than",
			body: `{"appliance":{"name":` + strings.Repeat("[", deep) + strings.Repeat("]", deep) + `}}`},
		{name: "JSON nested within the body limit", method: "POST", path: apps, json: true, status: 400, fragment: "too deeply",
			body: `{"appliance":{"name":` + strings.Repeat("[", 30_000) + strings.Repeat("]", 30_000) + `}}`},
		{name: "1 MiB body", method: "POST", path: apps, status: 413, fragment: "larger than",
			body: `<ns0:appliance ` + ns + `><description>` + strings.Repeat("x", 1<<20) + `</description></ns0:appliance>`},
		{name: "1 MiB body without a length", method: "POST", path: apps, chunked: true, status: 413, fragment: "larger than",
			body: `<ns0:appliance ` + ns + `><description>` + strings.Repeat("x", 1<<20) + `</description></ns0:appliance>`},
		{name: "huge JSON array of numbers", method: "POST", path: apps, json: true, status: 400, fragment: "appliance/name",
			body: `{"appliance":{"version":"1","name":[` + strings.Repeat("1,", 30_000) + `1]}}`},
		{name: "huge JSON array of unknown packages", method: "PUT", path: pkgs, json: true, status: 400, fragment: "x0",
			body: `{"packages":{"pkgs":{"pkg":[` + strings.Join(unknown, ",") + `]}}}`},
	}
}

// TestAdversarialBombs sends parser and size bombs; each is refused within
// bounded time and allocation, with an answer no larger than the question
// (no amplification), and nothing is stored. Not parallel: the allocation
// of the server, which runs in this process, is measured.
func TestAdversarialBombs(t *testing.T) {
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, alice, "web")
	base := "/users/alice/appliances"
	before := e.holdings("alice")
	for _, b := range bombs(base, base+"/"+aid+"/installProfile", base+"/"+aid+"/osprofile/"+aid+"/pkgs") {
		t.Run(b.name, func(t *testing.T) {
			c := alice.in(t)
			if b.json {
				c = c.withJSON()
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			if b.chunked {
				c = c.withoutLength()
			}
			r := c.do(b.method, b.path, b.body)
			took := time.Since(start)
			runtime.ReadMemStats(&m1)
			r.uforgeError(b.status, b.fragment)
			if took > bombTime {
				t.Errorf("answered in %v", took)
			}
			if a := m1.TotalAlloc - m0.TotalAlloc; a > bombAlloc {
				t.Errorf("allocated %d MiB", a>>20)
			}
			if len(r.body) > len(b.body)+4<<10 {
				t.Errorf("a %d-byte answer to a %d-byte request", len(r.body), len(b.body))
			}
		})
	}
	e.unchanged("alice", before)
}
