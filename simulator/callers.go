package simulator

import (
	"fmt"
	"net/http"
	"time"
)

// DefaultLoadInputs walks a whole complaint by pressing 1 on every screen:
// the first language, "make a complaint", the first category (left out of
// the assistance), region, cercle and assistance, skip the detail, leave no
// contact, send. The load generator (cmd/hotline-load) and the fault tests
// play it.
var DefaultLoadInputs = []string{"1", "1", "1", "1", "1", "1", "1", "1", "1"}

// LoadPhone is the caller number of session i: the +223 7600xxxx example
// range, so that many simulated callers never dial a real person's number.
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
