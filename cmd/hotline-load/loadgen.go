package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	URL      string
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

	var (
		next     atomic.Int64 // next session number to play
		hops     atomic.Int64
		done     atomic.Int64
		failures atomic.Int64
		mu       sync.Mutex
		res      LoadResult
	)
	stopBar := startProgress(o.Progress, o.Sessions, &done, &hops, &failures)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.Callers {
		wg.Go(func() {
			var lat, submits []time.Duration
			var refs []string
			var firstErr error
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.Sessions {
					break
				}
				s := simulator.USSD{URL: o.URL, Phone: simulator.LoadPhone(i), Client: client}.NewSession()
				ok := true
				for h := -1; h < len(inputs); h++ {
					input := ""
					if h >= 0 {
						input = inputs[h]
					}
					t0 := time.Now()
					sc, err := s.Send(ctx, input)
					if err != nil {
						if ctx.Err() == nil {
							failures.Add(1)
							if firstErr == nil {
								firstErr = err
							}
						}
						ok = false
						break
					}
					took := time.Since(t0)
					lat = append(lat, took)
					hops.Add(1)
					if sc.End {
						if m := loadReference.FindStringSubmatch(sc.Text); m != nil {
							refs = append(refs, m[1]+m[2])
							submits = append(submits, took)
						}
						break
					}
				}
				if ok {
					done.Add(1)
				}
			}
			mu.Lock()
			res.Latencies = append(res.Latencies, lat...)
			res.Submits = append(res.Submits, submits...)
			res.References = append(res.References, refs...)
			if firstErr != nil && res.FirstError == "" {
				res.FirstError = firstErr.Error()
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	stopBar()
	res.Hops, res.Sessions, res.Errors = int(hops.Load()), int(done.Load()), int(failures.Load())
	slices.Sort(res.Latencies)
	slices.Sort(res.Submits)
	return res, nil
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
