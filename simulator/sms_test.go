package simulator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/numerovert/hotline/simulator"
)

func TestTwilioSignatureVector(t *testing.T) {
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}}
	if got := simulator.TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Errorf("signature = %q", got)
	}
}

func TestSMSSendsLikeTheProvider(t *testing.T) {
	var mu sync.Mutex
	var got []url.Values
	var sigs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(b))
		mu.Lock()
		got, sigs = append(got, f), append(sigs, r.Header.Get("X-Twilio-Signature"))
		mu.Unlock()
	}))
	defer srv.Close()
	ctx := context.Background()

	at := simulator.SMS{Provider: simulator.ProviderAT, URL: srv.URL + "/c/demo-at/sms", Phone: "+22376000001"}
	m, r, err := at.Send(ctx, "Bonjour")
	if err != nil || r.Status != 200 {
		t.Fatal(r, err)
	}
	at.Post(ctx, m) // a retry
	tw := simulator.SMS{Provider: simulator.ProviderTwilio, URL: srv.URL + "/c/demo-twilio/sms", Phone: "+22376000002", AuthToken: "tok"}
	if _, _, err := tw.Send(ctx, "STATUS 1234 5678"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d posts", len(got))
	}
	if got[0].Get("id") == "" || got[0].Get("id") != got[1].Get("id") || got[0].Get("from") != "+22376000001" || got[0].Get("text") != "Bonjour" || len(got[0].Get("date")) != 19 {
		t.Errorf("AT form = %v / retry %v", got[0], got[1])
	}
	if !strings.HasPrefix(got[2].Get("MessageSid"), "SM") || got[2].Get("Body") != "STATUS 1234 5678" ||
		sigs[2] != simulator.TwilioSignature("tok", srv.URL+"/c/demo-twilio/sms", got[2]) {
		t.Errorf("Twilio form = %v sig %q", got[2], sigs[2])
	}
}

func TestFakeProvider(t *testing.T) {
	f := &simulator.FakeProvider{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	send := func(path, key string, form url.Values, auth func(*http.Request)) int {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", key)
		auth(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	atAuth := func(r *http.Request) { r.Header.Set("apiKey", "k") }
	twAuth := func(r *http.Request) { r.SetBasicAuth("AC1", "tok") }
	atForm := url.Values{"username": {"sandbox"}, "to": {"+22376000001"}, "message": {"Réf 1234 5678"}}
	twForm := url.Values{"To": {"+22376000002"}, "From": {"+22376000900"}, "Body": {"Ref"}}

	f.SetFailing(true)
	if code := send("/version1/messaging", "a", atForm, atAuth); code != 503 {
		t.Errorf("failing: %d", code)
	}
	f.SetFailing(false)
	tests := []struct {
		path, key string
		form      url.Values
		auth      func(*http.Request)
		want      int
	}{
		{"/version1/messaging", "a", atForm, atAuth, 201},
		{"/version1/messaging", "a", atForm, atAuth, 201}, // a resend: counted once
		{"/version1/messaging", "b", atForm, func(*http.Request) {}, 401},
		{"/2010-04-01/Accounts/AC1/Messages.json", "c", twForm, twAuth, 201},
		{"/elsewhere", "d", twForm, twAuth, 404},
	}
	for _, tt := range tests {
		if code := send(tt.path, tt.key, tt.form, tt.auth); code != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.path, tt.key, code, tt.want)
		}
	}
	d := f.Delivered()
	if len(d) != 2 || d[0].Key != "a" || d[0].To != "+22376000001" || d[0].Body != "Réf 1234 5678" || d[1].Provider != simulator.ProviderTwilio {
		t.Errorf("delivered = %+v", d)
	}
	if f.Duplicates() != 1 || f.Attempts() != 4 {
		t.Errorf("duplicates %d attempts %d", f.Duplicates(), f.Attempts())
	}
}
