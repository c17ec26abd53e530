// Command status measures GET …/images/{id}/status while generations run: an
// open-loop load generator on loopback sends a fixed rate of requests (Basic
// auth, as hammr polls) and prints achieved rate and latency percentiles.
//
// By default the two generations are stand-ins that keep the CPUs busy and
// report progress every 200 ms (what the database sees from real builds); with
// -real they are real builds of the reference appliance (needs root and the
// mirror).
//
//	go run ./bench/status -rate 200 -duration 20s
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/run"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/store"
)

func main() {
	rate := flag.Int("rate", 200, "requests per second")
	duration := flag.Duration("duration", 20*time.Second, "measurement time")
	real := flag.Bool("real", false, "run real generations instead of CPU-burning stand-ins")
	flag.Parse()
	if err := bench(*rate, *duration, *real); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const password = "bench-password"

func bench(rate int, duration time.Duration, real bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "kiln-status-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := app.Config{DataDir: dir, AdminPassword: password, RunWorkers: true, Workers: 2, JobTimeout: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if real {
		if cfg.Mirrors, err = distro.LoadMirrors("/", nil, nil); err != nil {
			return err
		}
	} else {
		cfg.Generator = busyGenerator{}
	}
	node, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	if err := node.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: node.Handler}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/api"

	status, err := startGenerations(ctx, node, base)
	if err != nil {
		return err
	}
	fmt.Printf("two generations running; %d req/s for %v on %s\n", rate, duration, status)
	lat, errs := load(base+status, rate, duration)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Printf("\n%-22s %d (%d errors)\n%-22s %.1f\n", "requests", len(lat), errs, "achieved req/s", float64(len(lat))/duration.Seconds())
	fmt.Printf("%-22s %v\n%-22s %v\n%-22s %v\n%-22s %v\n", "p50", pct(0.50), "p90", pct(0.90), "p99", pct(0.99), "max", lat[len(lat)-1])
	fmt.Printf("target: p99 < 20ms at 200 req/s on 2 cores\n")
	return nil
}

// startGenerations creates an appliance and starts two generations through
// the API, returning the status path of the first.
func startGenerations(ctx context.Context, node *app.Node, base string) (string, error) {
	if err := node.Store.ReplacePackages(ctx, 2, []store.Package{{Name: "openssh-server", Version: "1:9.2p1-2+deb12u5", Arch: "amd64"}}, time.Now()); err != nil {
		return "", err
	}
	p := &service.Principal{Login: "admin", Roles: []string{"admin", "designer"}}
	u, err := node.Store.GetUser(ctx, "admin")
	if err != nil {
		return "", err
	}
	p.ID = u.ID
	var first string
	for _, format := range []string{"QCOW2", "Raw Virtual Disk"} {
		a, err := post(base+"/users/admin/appliances", `{"appliance":{"name":"bench-`+strings.Fields(format)[0]+`","version":"1.0",
			"distributionUri":"distributions/2","osProfile":{"standardProfileUri":"distributions/2/profiles/3"}}}`)
		if err != nil {
			return "", err
		}
		img, err := post(base+"/"+a+"/images", `{"image":{"compress":true,"targetFormat":{"name":"`+format+`"}}}`)
		if err != nil {
			return "", err
		}
		if first == "" {
			first = "/" + img + "/status"
		}
	}
	time.Sleep(time.Second) // let both start
	return first, nil
}

// post sends a JSON body as admin and returns the uri of what was created.
func post(url, body string) (string, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.SetBasicAuth("admin", password)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		return "", fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	s := string(b)
	i := strings.LastIndex(s, "<uri>")
	return s[i+5 : i+strings.Index(s[i:], "</uri>")], nil
}

// load sends rate requests per second for d (open loop: a slow answer does
// not delay the next request) and returns each request's latency.
func load(url string, rate int, d time.Duration) ([]time.Duration, int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	// Requests are scheduled at start + i·interval: a late wake-up sends the
	// overdue requests at once instead of dropping them (open loop).
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.After(start.Add(d)) {
			break
		}
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", url, nil)
			req.SetBasicAuth("admin", password)
			start := time.Now()
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			el := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || resp.StatusCode != 200 {
				errs++
				return
			}
			lat = append(lat, el)
		}()
	}
	wg.Wait()
	return lat, errs
}

// busyGenerator stands in for a build: for a minute it keeps a core busy in
// a child process (as mmdebstrap, dpkg and mkfs do, through internal/run) and
// reports progress every 200 ms.
type busyGenerator struct{}

func (busyGenerator) Run(ctx context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx, run.Cmd{Name: "sha256sum", Args: []string{"/dev/zero"}}) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-tick.C:
			progress(generate.Update{Stage: generate.StageRootfs, Percent: min(99, i/3), Message: "busy"})
			continue
		case <-done:
		}
		break
	}
	if err := context.Cause(ctx); err != nil && err != context.DeadlineExceeded {
		return nil, err
	}
	os.MkdirAll(outDir, 0o755)
	path := filepath.Join(outDir, "x.qcow2")
	os.WriteFile(path, []byte("x"), 0o644)
	sum := sha256.Sum256([]byte("x"))
	return &generate.Result{Path: path, Format: "qcow2", Size: 1, SHA256: hex.EncodeToString(sum[:])}, nil
}
