package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/numerovert/hotline/simulator"
)

// Load limits: a load run is a benchmark on the operator's own machine,
// never a way to flood someone else's server.
const (
	MaxLoadCallers  = 1000
	MaxLoadSessions = 200_000
)

// LoadOptions describes a load run: Callers handsets dialling at once, each
// playing whole sessions one after the other until Sessions have been
// played in all.
type LoadOptions struct {
	URL string
	// Hosts, when set, are further servers ("host:port") that take hops
	// in turn with URL's, as a balancer without session affinity would:
	// consecutive hops of one session go to different servers.
	Hosts    []string
	Callers  int
	Sessions int
	// Inputs are sent after dialling (DefaultLoadInputs when nil). A
	// session ends early at an END screen.
	Inputs []string
	// FirstHopOnly dials and hangs up: each session is one hop that the
	// server must then hold until it expires.
	FirstHopOnly bool
	// Progress, when not nil, receives a progress bar redrawn in place.
	Progress io.Writer
}

// LoadResult is what a load run measured.
type LoadResult struct {
	Hops       int
	Sessions   int // sessions that ran to an END screen or through every input
	Errors     int
	References []string // every reference shown on an END screen
	Elapsed    time.Duration
	Latencies  []time.Duration // one per successful hop, sorted
	Submits    []time.Duration // one per hop that showed a reference, sorted
	FirstError string          // a sample error, which never quotes a number
}

// HopsPerSecond is the rate of successful hops over the whole run.
func (r LoadResult) HopsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Hops) / r.Elapsed.Seconds()
}

// SessionsPerSecond is the rate of whole sessions over the whole run.
func (r LoadResult) SessionsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sessions) / r.Elapsed.Seconds()
}

// SubmitsPerSecond is the rate of references shown (durable submissions).
func (r LoadResult) SubmitsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.References)) / r.Elapsed.Seconds()
}

// Percentile returns the hop latency at p (0 < p ≤ 1).
func (r LoadResult) Percentile(p float64) time.Duration { return percentile(r.Latencies, p) }

// SubmitPercentile returns the latency of the submission hop at p.
func (r LoadResult) SubmitPercentile(p float64) time.Duration { return percentile(r.Submits, p) }

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

var loadReference = regexp.MustCompile(`(\d{4}) (\d{4})`)

// Load plays o against the server and reports what it measured. It stops
// early, without error, when ctx ends; errors of single hops are counted,
// not returned.
func Load(ctx context.Context, o LoadOptions) (LoadResult, error) {
	switch {
	case o.URL == "":
		return LoadResult{}, errors.New("simulator: load: no URL")
	case o.Callers < 1 || o.Callers > MaxLoadCallers:
		return LoadResult{}, fmt.Errorf("simulator: load: callers must be 1 to %d, got %d", MaxLoadCallers, o.Callers)
	case o.Sessions < 1 || o.Sessions > MaxLoadSessions:
		return LoadResult{}, fmt.Errorf("simulator: load: sessions must be 1 to %d, got %d", MaxLoadSessions, o.Sessions)
	}
	inputs := o.Inputs
	if inputs == nil {
		inputs = simulator.DefaultLoadInputs
	}
	if o.FirstHopOnly {
		inputs = nil
	}
	client := simulator.NewLoadClient(o.Callers)
	defer client.CloseIdleConnections()
	if len(o.Hosts) > 0 {
		u, err := url.Parse(o.URL)
		if err != nil {
			return LoadResult{}, fmt.Errorf("simulator: load: %w", err)
		}
		client.Transport = &roundRobin{hosts: append([]string{u.Host}, o.Hosts...), next: client.Transport}
	}

	r := &playing{o: o, inputs: inputs, client: client}
	stopBar := startProgress(o.Progress, o.Sessions, &r.done, &r.hops, &r.failures)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.Callers {
		wg.Go(func() { r.caller(ctx) })
	}
	wg.Wait()
	res := r.res
	res.Elapsed = time.Since(start)
	stopBar()
	res.Hops, res.Sessions, res.Errors = int(r.hops.Load()), int(r.done.Load()), int(r.failures.Load())
	slices.Sort(res.Latencies)
	slices.Sort(res.Submits)
	return res, nil
}

// playing is one Load in progress, shared by its callers.
type playing struct {
	o      LoadOptions
	inputs []string
	client *http.Client

	next     atomic.Int64 // next session number to play
	hops     atomic.Int64
	done     atomic.Int64
	failures atomic.Int64

	mu  sync.Mutex
	res LoadResult
}

// callerTally is what one caller measured, merged into the run at its end.
type callerTally struct {
	lat, submits []time.Duration
	refs         []string
	firstErr     error
}

// caller plays whole sessions one after the other until none are left.
func (r *playing) caller(ctx context.Context) {
	var t callerTally
	for ctx.Err() == nil {
		i := int(r.next.Add(1)) - 1
		if i >= r.o.Sessions {
			break
		}
		if r.session(ctx, i, &t) {
			r.done.Add(1)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Latencies = append(r.res.Latencies, t.lat...)
	r.res.Submits = append(r.res.Submits, t.submits...)
	r.res.References = append(r.res.References, t.refs...)
	if t.firstErr != nil && r.res.FirstError == "" {
		r.res.FirstError = t.firstErr.Error()
	}
}

// session plays session i hop by hop; false when a hop failed.
func (r *playing) session(ctx context.Context, i int, t *callerTally) bool {
	s := simulator.USSD{URL: r.o.URL, Phone: simulator.LoadPhone(i), Client: r.client}.NewSession()
	for h := -1; h < len(r.inputs); h++ {
		input := ""
		if h >= 0 {
			input = r.inputs[h]
		}
		t0 := time.Now()
		sc, err := s.Send(ctx, input)
		if err != nil {
			if ctx.Err() == nil {
				r.failures.Add(1)
				if t.firstErr == nil {
					t.firstErr = err
				}
			}
			return false
		}
		took := time.Since(t0)
		t.lat = append(t.lat, took)
		r.hops.Add(1)
		if sc.End {
			if m := loadReference.FindStringSubmatch(sc.Text); m != nil {
				t.refs = append(t.refs, m[1]+m[2])
				t.submits = append(t.submits, took)
			}
			break
		}
	}
	return true
}

// startProgress redraws a bar on w four times a second until the returned
// function is called.
func startProgress(w io.Writer, total int, done, hops, failures *atomic.Int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	draw := func() {
		d := int(done.Load())
		const width = 30
		filled := min(width, d*width/max(total, 1))
		fmt.Fprintf(w, "\r[%s%s] %d/%d sessions, %d hops, %d errors ",
			strings.Repeat("#", filled), strings.Repeat(".", width-filled), d, total, hops.Load(), failures.Load())
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				draw()
				fmt.Fprintln(w)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(quit); <-finished }
}

// roundRobin sends each request to the next host in turn.
type roundRobin struct {
	hosts []string
	n     atomic.Int64
	next  http.RoundTripper
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	host := rr.hosts[int(rr.n.Add(1)-1)%len(rr.hosts)]
	req = req.Clone(req.Context())
	req.URL.Host, req.Host = host, host
	return rr.next.RoundTrip(req)
}
