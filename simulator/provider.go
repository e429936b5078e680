package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Delivery is one message the fake provider accepted: what would have
// reached a phone.
type Delivery struct {
	Provider   string
	Key        string // the Idempotency-Key the hotline sent (its outbox id)
	ProviderID string
	To, From   string
	Body       string
}

// FakeProvider plays the send APIs of Africa's Talking
// (POST /version1/messaging) and Twilio
// (POST /2010-04-01/Accounts/{sid}/Messages.json) and records what would
// have been delivered. It also places outbound calls (AT POST /call,
// Twilio Calls.json) and plays both far ends (calls.go). It keeps everything in memory and writes nothing.
//
// Real providers take no idempotency key, so they deliver at least once;
// the fake counts a message once per Idempotency-Key, which is how tests
// check that the hotline never sends one outbox message as two. It can
// fail or slow down sends, to play an outage, and post delivery reports
// back. Safe for concurrent use.
type FakeProvider struct {
	// ReportURL, by provider, is where delivery reports go (the channel's
	// /sms/status); none are sent for a provider without one. Change it
	// with SetReportURL once requests may arrive.
	ReportURL map[string]string
	// TwilioToken signs Twilio status callbacks.
	TwilioToken string
	Client      *http.Client

	mu         sync.Mutex
	failing    bool
	delay      time.Duration
	attempts   int
	duplicates int
	byKey      map[string]Delivery
	order      []string
	seq        int
	reports    sync.WaitGroup
	calls      callState // outbound calls (calls.go)
}

// SetFailing makes every send answer 503 (true) or succeed (false).
func (f *FakeProvider) SetFailing(v bool) { f.mu.Lock(); f.failing = v; f.mu.Unlock() }

// SetReportURL sets where delivery reports for provider go ("" for none).
func (f *FakeProvider) SetReportURL(provider, target string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ReportURL == nil {
		f.ReportURL = map[string]string{}
	}
	f.ReportURL[provider] = target
}

func (f *FakeProvider) reportURL(provider string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ReportURL[provider]
}

// SetDelay makes every send wait d before answering (a slow provider).
func (f *FakeProvider) SetDelay(d time.Duration) { f.mu.Lock(); f.delay = d; f.mu.Unlock() }

// Attempts is how many send requests arrived, failed ones included.
func (f *FakeProvider) Attempts() int { f.mu.Lock(); defer f.mu.Unlock(); return f.attempts }

// Duplicates is how many accepted sends repeated an Idempotency-Key
// already delivered: on a real provider each would be a second SMS.
func (f *FakeProvider) Duplicates() int { f.mu.Lock(); defer f.mu.Unlock(); return f.duplicates }

// Delivered returns each message delivered, once, in order of delivery.
func (f *FakeProvider) Delivered() []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Delivery, 0, len(f.order))
	for _, k := range f.order {
		out = append(out, f.byKey[k])
	}
	return out
}

// Wait waits for delivery reports in flight.
func (f *FakeProvider) Wait() { f.reports.Wait() }

// ServeHTTP implements http.Handler.
func (f *FakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.serveCall(w, r) {
		return
	}
	var provider string
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/version1/messaging":
		provider = ProviderAT
		if r.Header.Get("apiKey") == "" {
			http.Error(w, "The supplied authentication is invalid", http.StatusUnauthorized)
			return
		}
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/2010-04-01/Accounts/") && strings.HasSuffix(r.URL.Path, "/Messages.json"):
		provider = ProviderTwilio
		if _, _, ok := r.BasicAuth(); !ok {
			http.Error(w, `{"code":20003,"message":"Authenticate","status":401}`, http.StatusUnauthorized)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	form, perr := url.ParseQuery(string(b))
	if err != nil || perr != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.attempts++
	delay, failing := f.delay, f.failing
	f.mu.Unlock()
	// A slow provider still accepts a message whose sender gave up or
	// died waiting: the reply is lost, the message is not.
	time.Sleep(delay)
	if failing {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	d := Delivery{Provider: provider, Key: r.Header.Get("Idempotency-Key")}
	if provider == ProviderAT {
		d.To, d.From, d.Body = form.Get("to"), form.Get("from"), form.Get("message")
	} else {
		d.To, d.From, d.Body = form.Get("To"), form.Get("From"), form.Get("Body")
	}
	f.mu.Lock()
	if f.byKey == nil {
		f.byKey = map[string]Delivery{}
	}
	prev, dup := f.byKey[d.Key]
	if dup && d.Key != "" {
		f.duplicates++
		d.ProviderID = prev.ProviderID
	} else {
		f.seq++
		if provider == ProviderAT {
			d.ProviderID = fmt.Sprintf("ATXid_fake%06d", f.seq)
		} else {
			d.ProviderID = fmt.Sprintf("SMfake%026d", f.seq)
		}
		key := d.Key
		if key == "" {
			key = d.ProviderID
		}
		f.byKey[key] = d
		f.order = append(f.order, key)
	}
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	if provider == ProviderAT {
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"SMSMessageData": map[string]any{
			"Message": "Sent to 1/1 Total Cost: XOF 0",
			"Recipients": []map[string]any{{
				"statusCode": 101, "number": d.To, "status": "Success", "cost": "XOF 0", "messageId": d.ProviderID,
			}},
		}})
	} else {
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"sid": d.ProviderID, "status": "queued", "to": d.To, "from": d.From, "body": d.Body})
	}
	if target := f.reportURL(provider); target != "" {
		f.reports.Add(1)
		go func() {
			defer f.reports.Done()
			// A report leaves after the send's reply, as on the real
			// platforms; it may still overtake the hotline's commit.
			time.Sleep(50 * time.Millisecond)
			f.Report(context.Background(), provider, d.ProviderID, true)
		}()
	}
}

// Report posts a delivery report for providerID to ReportURL[provider]
// and returns the HTTP status.
func (f *FakeProvider) Report(ctx context.Context, provider, providerID string, delivered bool) (int, error) {
	var form url.Values
	if provider == ProviderAT {
		status := "Success"
		form = url.Values{"id": {providerID}, "status": {status}, "networkCode": {"61002"}, "retryCount": {"0"}}
		if !delivered {
			form.Set("status", "Failed")
			form.Set("failureReason", "UserIsInactive")
		}
	} else {
		form = url.Values{"MessageSid": {providerID}, "MessageStatus": {"delivered"}, "AccountSid": {"ACdemo0000000000000000000000000000"}, "ApiVersion": {"2010-04-01"}}
		if !delivered {
			form.Set("MessageStatus", "undelivered")
			form.Set("ErrorCode", "30003")
		}
	}
	r, err := postForm(ctx, f.Client, provider, f.reportURL(provider), f.TwilioToken, form)
	return r.Status, err
}
