package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A fake aggregator callback: CON until the caller has pressed three keys,
// then END with a reference.
func fakeHotline(hops *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		text := r.PostFormValue("text")
		if strings.Count(text, "*") >= 2 {
			w.Write([]byte("END Reference 1234 5678"))
			return
		}
		w.Write([]byte("CON Choose\n1 Yes"))
	})
}

func TestLoadPlaysWholeSessionsAndCountsSubmissions(t *testing.T) {
	var hops atomic.Int64
	srv := httptest.NewServer(fakeHotline(&hops))
	defer srv.Close()
	r, err := Load(context.Background(), LoadOptions{URL: srv.URL, Callers: 4, Sessions: 20, Inputs: []string{"1", "1", "1", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	// Dial plus three inputs reach the END screen; the fourth is never sent.
	if r.Sessions != 20 || r.Hops != 80 || hops.Load() != 80 || r.Errors != 0 {
		t.Errorf("sessions %d, hops %d (server saw %d), errors %d; want 20, 80, 80, 0", r.Sessions, r.Hops, hops.Load(), r.Errors)
	}
	if len(r.References) != 20 || r.References[0] != "12345678" || len(r.Submits) != 20 {
		t.Errorf("references %v, submission hops %d", r.References, len(r.Submits))
	}
	if r.SessionsPerSecond() <= 0 || r.SubmitsPerSecond() != r.SessionsPerSecond() {
		t.Errorf("sessions/s %.1f, submissions/s %.1f", r.SessionsPerSecond(), r.SubmitsPerSecond())
	}
}

func TestGoalsPrintEachFigureAgainstItsGoal(t *testing.T) {
	res := func(hopsPerSec float64, p99 time.Duration) LoadResult {
		return LoadResult{Hops: int(hopsPerSec), Elapsed: time.Second, Latencies: []time.Duration{p99}}
	}
	lone := LoadResult{Submits: []time.Duration{time.Millisecond, 5 * time.Millisecond}}
	g := goals{
		runs: []loadRun{
			{name: "hotline (embedded)", callers: 50, res: res(7000, 20*time.Millisecond)},
			{name: "bare Fiber", callers: 50, res: res(10000, 10*time.Millisecond)},
			{name: "hotline (embedded)", callers: 200, res: LoadResult{References: make([]string, 2500), Elapsed: time.Second}},
		},
		lone: &lone, open: 100_000, openPeak: 200 * 1024,
	}
	var out bytes.Buffer
	g.print(&out)
	for label, want := range map[string]string{
		"whole sessions, hop rate / bare Fiber (50 callers)": "0.70 ≥ 0.60 met",
		"p99 hop latency / bare Fiber's p99 (50 callers)":    "2.0× (20.00 ms / 10.00 ms) ≤ 3× met",
		"one caller alone: submission hop, median":           "1.00 ms ≤ 2 ms met",
		"durable submissions/s end to end (200 callers)":     "2500 ≥ 2000 met",
		"100000 open sessions, peak RSS":                     "200 MB ≤ 150 MB at 100000 missed",
	} {
		found := false
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, label) {
				found = strings.Contains(strings.Join(strings.Fields(line), " "), want)
			}
		}
		if !found {
			t.Errorf("no line %q with %q:\n%s", label, want, out.String())
		}
	}
	if got := strings.Count(out.String(), " met "); got != 4 {
		t.Errorf("%d goals met, want 4 (ratio, p99, lone 1 ms median, 2500/s):\n%s", got, out.String())
	}
}

// The CPU figure is this process's own, read from /proc: it grows with
// work done, and per hop it is printed in µs (Redis's own after a "+").
func TestCPUPerHop(t *testing.T) {
	before := procCPU(os.Getpid())
	deadline := time.Now().Add(50 * time.Millisecond)
	for n := 0; time.Now().Before(deadline); n++ {
		_ = strconv.Itoa(n)
	}
	after := procCPU(os.Getpid())
	if after <= before {
		t.Errorf("CPU time went from %v to %v across 50 ms of work", before, after)
	}
	if got := perHop(30*time.Millisecond, 10*time.Millisecond, 1000); got != "30 µs + 10" {
		t.Errorf("perHop = %q", got)
	}
	if got := perHop(0, 0, 1000); got != "?" {
		t.Errorf("perHop without a figure = %q", got)
	}
}
