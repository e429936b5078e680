package gateway

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkUSSDSession is one whole complaint through the Fiber app in
// memory (no network): eight hops, the last one a store commit (memstore,
// so no fsync). It is the gateway's own cost per session.
func BenchmarkUSSDSession(b *testing.B) {
	ts := newTestServer(b, &Limits{})
	texts := []string{"", "1", "1*1", "1*1*2", "1*1*2*1", "1*1*2*1*1", "1*1*2*1*1*1", "1*1*2*1*1*1*1", "1*1*2*1*1*1*1*1"}
	i := 0
	for b.Loop() {
		sid := fmt.Sprintf("ATUid_%d", i)
		phone := fmt.Sprintf("+2237600%04d", i%10_000)
		for _, text := range texts {
			if code, body := ts.hop(b, testChannel, sid, phone, text); code != 200 {
				b.Fatalf("hop %q: %d %s", text, code, body)
			}
		}
		i++
	}
	b.ReportMetric(float64(len(texts)), "hops/op")
}

// BenchmarkUSSDHopServer is the load tool's session (dial, then "1" nine
// times, the last a submission) through the server's own fasthttp handler,
// with no net/http conversion around it as App().Test makes: ns/op and
// allocs/op are the gateway's own cost per session, without the network.
// The logger writes to io.Discard (the load run's goes to a pipe).
func BenchmarkUSSDHopServer(b *testing.B) {
	ts := newTestServer(b, &Limits{})
	ts.Server.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	h := ts.App().Handler()
	texts := []string{""}
	for i, t := 0, ""; i < 9; i++ {
		if t == "" {
			t = "1"
		} else {
			t += "*1"
		}
		texts = append(texts, t)
	}
	for i := range texts {
		texts[i] = "&text=" + url.QueryEscape(texts[i])
	}
	var req fasthttp.Request
	var rc fasthttp.RequestCtx
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	uri := "/c/" + testChannel + "/ussd"
	var body []byte
	i := 0
	for b.Loop() {
		head := fmt.Sprintf("networkCode=99999&serviceCode=%%2A384%%2A1234%%23&sessionId=ATUid_%d&phoneNumber=%%2B2237600%04d", i, i%10_000)
		for _, text := range texts {
			body = append(append(body[:0], head...), text...)
			req.Reset()
			req.Header.SetMethod(fasthttp.MethodPost)
			req.SetRequestURI(uri)
			req.Header.SetContentType("application/x-www-form-urlencoded")
			req.SetBody(body)
			rc.Init(&req, addr, nil)
			h(&rc)
			if code := rc.Response.StatusCode(); code != 200 {
				b.Fatalf("hop %q: %d %s", text, code, rc.Response.Body())
			}
		}
		i++
	}
	b.ReportMetric(float64(len(texts)), "hops/op")
}
