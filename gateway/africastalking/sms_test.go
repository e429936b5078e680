package africastalking_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/internal/fixture"
)

func TestParseSMSFixtures(t *testing.T) {
	fixture.Check(t, "testdata/sms/*.http", parseWith(africastalking.SMS{}.ParseSMS), nil)
}

func TestParseReportFixtures(t *testing.T) {
	fixture.Check(t, "testdata/report/*.http", parseWith(africastalking.SMS{}.ParseReport), nil)
}

func TestSend(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		reply     string
		wantID    string
		wantCode  string
		permanent bool
	}{
		{"accepted", 201, `{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: XOF 20","Recipients":[{"statusCode":101,"number":"+22376000001","status":"Success","cost":"XOF 20","messageId":"ATXid_abc"}]}}`, "ATXid_abc", "", false},
		{"invalid number", 201, `{"SMSMessageData":{"Message":"Sent to 0/1","Recipients":[{"statusCode":403,"number":"+22376000001","status":"InvalidPhoneNumber","cost":"0","messageId":"None"}]}}`, "", "status 403", true},
		{"insufficient balance", 201, `{"SMSMessageData":{"Message":"Sent to 0/1","Recipients":[{"statusCode":405,"number":"+22376000001","status":"InsufficientBalance","cost":"0","messageId":"None"}]}}`, "", "status 405", false},
		{"server error", 503, `oops`, "", "http 503", false},
		{"bad api key", 401, `The supplied authentication is invalid`, "", "http 401", false},
		{"not json", 201, `<AfricasTalkingResponse/>`, "", "unreadable reply", false},
		{"no recipients", 201, `{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}`, "", "0 recipients in reply", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got url.Values
			var header http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/version1/messaging" || r.Method != http.MethodPost {
					t.Errorf("request %s %s", r.Method, r.URL.Path)
				}
				b, _ := io.ReadAll(r.Body)
				got, _ = url.ParseQuery(string(b))
				header = r.Header
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.reply)
			}))
			defer srv.Close()
			s := africastalking.Sender{BaseURL: srv.URL + "/", Username: "sandbox", APIKey: "demo-key"}
			id, err := s.Send(context.Background(), turn.Outbound{ID: "ob1", To: "+22376000001", From: "36061", Body: "Référence 1234 5678"})
			if got.Get("username") != "sandbox" || got.Get("to") != "+22376000001" || got.Get("from") != "36061" || got.Get("message") != "Référence 1234 5678" {
				t.Errorf("form = %v", got)
			}
			if header.Get("apiKey") != "demo-key" || header.Get("Accept") != "application/json" || header.Get("Idempotency-Key") != "ob1" {
				t.Errorf("headers = %v", header)
			}
			if id != tt.wantID {
				t.Errorf("id = %q, want %q", id, tt.wantID)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var se *turn.SendError
			if !errors.As(err, &se) || se.Code != tt.wantCode || se.Permanent != tt.permanent {
				t.Fatalf("err = %#v, want code %q permanent %v", err, tt.wantCode, tt.permanent)
			}
			if strings.Contains(err.Error(), "76000") {
				t.Errorf("error quotes the number: %v", err)
			}
		})
	}
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	s := africastalking.Sender{BaseURL: srv.URL, Client: &http.Client{Timeout: 50 * time.Millisecond}}
	_, err := s.Send(context.Background(), turn.Outbound{ID: "x", To: "+22376000001", Body: "b"})
	if err == nil || strings.Contains(err.Error(), "76000") {
		t.Fatalf("err = %v, want a timeout that does not quote the number", err)
	}
}
