package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// Budgets of the login flood (issue 12, item 3): 500 concurrent bad logins may
// not take the server above 300 MiB, and a legitimate client polling an image
// status meanwhile must keep its p99 under 100 ms. The flood is stopped early
// (the server killed) if it passes floodKillMiB, so that a regression cannot
// eat a shared machine's memory (500 argon2id checks at once would need ~9 GiB).
const (
	floodLogins   = 500
	floodRSSMiB   = 300
	floodP99      = 100 * time.Millisecond
	floodKillMiB  = 1024
	pollEvery     = 2 * time.Millisecond
	floodAttempts = 3
)

// TestLoginFlood runs `kiln serve` in a child process on loopback (its peak
// RSS is only its own there) and sends 500 concurrent Basic logins with wrong
// passwords, each from its own address (X-Forwarded-For, which the server is
// told to trust: the per-address limit then does not help, as with a
// distributed attacker), half of them for admin and half for logins that do
// not exist, while alice polls her image's status every 2 ms.
//
// Every flood must keep the server under its memory budget and refuse every
// bad login. The latency budget must be met by one of up to floodAttempts
// floods (each on a fresh server): on a 2-CPU machine shared with other
// builds, a single stall of the OS scheduler is a poll's p99; a server that
// does not protect its polls (today's 4 s) misses it every time.
func TestLoginFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("short: a load test")
	}
	dir := t.TempDir()
	statusPath := seedPollableImage(t, dir)
	for attempt := 1; attempt <= floodAttempts; attempt++ {
		r := floodOnce(t, dir, statusPath)
		t.Logf("flood %d: %s", attempt, r)
		if r.killed {
			t.Fatalf("the server passed %d MiB and was killed", floodKillMiB)
		}
		if r.peakMiB >= floodRSSMiB {
			t.Errorf("server peak RSS %.0f MiB, budget %d MiB", r.peakMiB, floodRSSMiB)
		}
		if len(r.pollErrs) > 0 {
			t.Errorf("alice's polls failed %d times: %v", len(r.pollErrs), r.pollErrs[:min(len(r.pollErrs), 5)])
		}
		for code, n := range r.answers {
			if code != http.StatusUnauthorized && code != http.StatusTooManyRequests && code != http.StatusServiceUnavailable {
				t.Errorf("%d bad logins answered %d, want 401, 429 or 503", n, code)
			}
		}
		if t.Failed() {
			return
		}
		if r.p99 < floodP99 {
			return
		}
	}
	t.Errorf("alice's status poll p99 reached %v or more in all %d floods", floodP99, floodAttempts)
}

// floodResult is what one flood measured.
type floodResult struct {
	took             time.Duration
	answers          map[int]int // status of the bad logins (-1: no answer)
	baseMiB, peakMiB float64     // the server's RSS before the flood, and its peak
	killed           bool        // the server passed floodKillMiB
	polls            int
	p50, p99, max    time.Duration
	pollErrs         []string
}

func (r floodResult) String() string {
	return fmt.Sprintf("%d bad logins in %v: answers %v; server RSS %.0f MiB before, peak %.0f MiB; "+
		"alice's %d polls p50 %v p99 %v max %v, %d failed", floodLogins, r.took.Round(time.Millisecond), r.answers,
		r.baseMiB, r.peakMiB, r.polls, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
		r.max.Round(time.Microsecond), len(r.pollErrs))
}

// floodOnce starts a server on dir, floods it while alice polls, and stops it.
func floodOnce(t *testing.T, dir, statusPath string) floodResult {
	t.Helper()
	// Every client here is 127.0.0.1: the per-address connection cap (another
	// defence, tested in limits_test.go) is lifted so that the password-check
	// bounds are what the flood meets.
	child := startServer(t, "serve --data "+dir+" --listen 127.0.0.1:0 --workers 0 --log-level error --max-conns-per-ip 0"+
		" --mirror http://127.0.0.1:9/debian --trust-forwarded-for")
	defer child.stop()
	poller := &http.Client{Timeout: 10 * time.Second}
	alice := func() (int, time.Duration, error) {
		return timedGet(poller, child.url+statusPath, "alice", "alice-pw", "")
	}
	if code, _, err := alice(); err != nil || code != http.StatusOK { // verifies alice once: later polls hit the cache
		t.Fatalf("alice's first poll: %d, %v", code, err)
	}
	r := floodResult{baseMiB: child.hwmMiB(), answers: map[int]int{}}

	stop := make(chan struct{})
	var latencies []time.Duration
	var pollers sync.WaitGroup
	pollers.Go(func() {
		tick := time.NewTicker(pollEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			code, d, err := alice()
			latencies = append(latencies, d)
			if err != nil || code != http.StatusOK {
				r.pollErrs = append(r.pollErrs, fmt.Sprintf("%d %v", code, err))
			}
		}
	})
	time.Sleep(100 * time.Millisecond) // a few polls before the flood

	flood := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	codes := make([]int, floodLogins)
	start := make(chan struct{})
	var attackers sync.WaitGroup
	for i := range floodLogins {
		login := "admin"
		if i%2 == 1 {
			login = fmt.Sprintf("intruder-%d", i)
		}
		from := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		attackers.Go(func() {
			<-start
			code, _, err := timedGet(flood, child.url+"/users/admin", login, fmt.Sprintf("guess-%d", i), from)
			if err != nil {
				code = -1
			}
			codes[i] = code
		})
	}
	began := time.Now()
	close(start)
	attackers.Wait()
	r.took = time.Since(began)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	pollers.Wait()

	r.peakMiB, r.killed = child.hwmMiB(), child.killed()
	for _, c := range codes {
		r.answers[c]++
	}
	r.polls = len(latencies)
	r.p50, r.p99, r.max = percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 100)
	return r
}

// timedGet sends a GET with Basic credentials (and X-Forwarded-For when from
// is set), reads the answer and returns its status and duration.
func timedGet(c *http.Client, url, login, password, from string) (int, time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	req.SetBasicAuth(login, password)
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	began := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, time.Since(began), err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, time.Since(began), err
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	return s[max(0, (len(s)*p+99)/100-1)]
}
