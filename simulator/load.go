package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Load limits: a load run is a benchmark on the operator's own machine,
// never a way to flood someone else's server.
const (
	MaxLoadCallers  = 1000
	MaxLoadSessions = 200_000
)

// DefaultLoadInputs walks a whole complaint by pressing 1 on every screen:
// the first language, "make a complaint", the first category (left out of
// the assistance), region, cercle and assistance, skip the detail, leave no
// contact, send.
var DefaultLoadInputs = []string{"1", "1", "1", "1", "1", "1", "1", "1", "1"}

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
	FirstError string          // a sample error, which never quotes a number
}

// HopsPerSecond is the rate of successful hops over the whole run.
func (r LoadResult) HopsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Hops) / r.Elapsed.Seconds()
}

// Percentile returns the hop latency at p (0 < p ≤ 1).
func (r LoadResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

var loadReference = regexp.MustCompile(`(\d{4}) (\d{4})`)

// LoadPhone is the caller number of session i: the +223 7600xxxx example
// range, so a load run never dials a real person's number.
func LoadPhone(i int) string { return fmt.Sprintf("+2237600%04d", i%10_000) }

// NewLoadClient is an HTTP client for callers concurrent connections to
// one server, with the simulator's timeout.
func NewLoadClient(callers int) *http.Client {
	return &http.Client{
		Timeout: DefaultTimeout,
		Transport: &http.Transport{
			MaxIdleConns:        2 * callers,
			MaxIdleConnsPerHost: 2 * callers,
			MaxConnsPerHost:     callers,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
}

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
		inputs = DefaultLoadInputs
	}
	if o.FirstHopOnly {
		inputs = nil
	}
	client := NewLoadClient(o.Callers)
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
			var lat []time.Duration
			var refs []string
			var firstErr error
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.Sessions {
					break
				}
				s := USSD{URL: o.URL, Phone: LoadPhone(i), Client: client}.NewSession()
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
					lat = append(lat, time.Since(t0))
					hops.Add(1)
					if sc.End {
						if m := loadReference.FindStringSubmatch(sc.Text); m != nil {
							refs = append(refs, m[1]+m[2])
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
