package africastalking_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/internal/fixture"
	"github.com/numerovert/hotline/internal/sendtest"
)

func TestParseSMSFixtures(t *testing.T) {
	fixture.Check(t, "testdata/sms/*.http", parseWith(africastalking.SMS{}.ParseSMS), nil)
}

func TestParseReportFixtures(t *testing.T) {
	fixture.Check(t, "testdata/report/*.http", parseWith(africastalking.SMS{}.ParseReport), nil)
}

func TestSend(t *testing.T) {
	m := turn.Outbound{ID: "ob1", To: "+22376000001", From: "36061", Body: "Référence 1234 5678"}
	sendtest.Run(t, m, []sendtest.Reply{
		{Name: "accepted", Status: 201, Body: `{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: XOF 20","Recipients":[{"statusCode":101,"number":"+22376000001","status":"Success","cost":"XOF 20","messageId":"ATXid_abc"}]}}`, WantID: "ATXid_abc"},
		{Name: "invalid number", Status: 201, Body: `{"SMSMessageData":{"Message":"Sent to 0/1","Recipients":[{"statusCode":403,"number":"+22376000001","status":"InvalidPhoneNumber","cost":"0","messageId":"None"}]}}`, WantCode: "status 403", Permanent: true},
		{Name: "insufficient balance", Status: 201, Body: `{"SMSMessageData":{"Message":"Sent to 0/1","Recipients":[{"statusCode":405,"number":"+22376000001","status":"InsufficientBalance","cost":"0","messageId":"None"}]}}`, WantCode: "status 405"},
		{Name: "server error", Status: 503, Body: `oops`, WantCode: "http 503"},
		{Name: "bad api key", Status: 401, Body: `The supplied authentication is invalid`, WantCode: "http 401"},
		{Name: "not json", Status: 201, Body: `<AfricasTalkingResponse/>`, WantCode: "unreadable reply"},
		{Name: "no recipients", Status: 201, Body: `{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}`, WantCode: "0 recipients in reply"},
	}, func(base string) provider.Sender {
		return africastalking.Sender{BaseURL: base + "/", Username: "sandbox", APIKey: "demo-key"}
	}, func(t *testing.T, r *http.Request, form url.Values) {
		if r.URL.Path != "/version1/messaging" || r.Method != http.MethodPost {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if form.Get("username") != "sandbox" || form.Get("to") != m.To || form.Get("from") != m.From || form.Get("message") != m.Body {
			t.Errorf("form = %v", form)
		}
		if r.Header.Get("apiKey") != "demo-key" || r.Header.Get("Accept") != "application/json" || r.Header.Get("Idempotency-Key") != "ob1" {
			t.Errorf("headers = %v", r.Header)
		}
	})
}

func TestSendTimeout(t *testing.T) {
	sendtest.Timeout(t, turn.Outbound{ID: "x", To: "+22376000001", Body: "b"}, func(base string, c *http.Client) provider.Sender {
		return africastalking.Sender{BaseURL: base, Client: c}
	})
}
