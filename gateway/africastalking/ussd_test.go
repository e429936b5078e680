package africastalking_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/turn"
)

// Each testdata/ussd/NAME.http is a raw callback as AT sends it; NAME.want
// holds either the parsed turn as JSON or "error: <reason>". A new quirk is
// a new pair of files.
func TestParseFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/ussd/*.http")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".http")
		t.Run(name, func(t *testing.T) {
			ct, body := readRequest(t, f)
			want, err := os.ReadFile(strings.TrimSuffix(f, ".http") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			got, err := africastalking.USSD{}.Parse(ct, body)
			if reason, isErr := strings.CutPrefix(strings.TrimSpace(string(want)), "error: "); isErr {
				var bad *turn.BadRequest
				if !errors.As(err, &bad) || bad.Reason != reason {
					t.Fatalf("err = %v, want bad request %q", err, reason)
				}
				if strings.Contains(bad.Reason, "22376") {
					t.Errorf("reason quotes the number: %q", bad.Reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var w turn.USSD
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Errorf("got %+v\nwant %+v", got, w)
			}
		})
	}
}

func readRequest(t *testing.T, path string) (contentType string, body []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("fixture %s is not an HTTP request: %v", path, err)
	}
	body, err = io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("Content-Type"), body
}

func TestNewInput(t *testing.T) {
	tests := []struct{ prev, text, want string }{
		{"", "1", "1"},
		{"", "", ""},
		{"1", "1*3", "3"},
		{"1*3", "1*3*12", "12"},
		{"1*3*2", "1*3*2*je suis * exclu", "je suis * exclu"}, // free text keeps its stars
		{"1*3", "5", "5"},     // an operator that sends only the newest input
		{"1*3", "1*4*2", "2"}, // text that does not extend the previous one
		{"1*3", "1*3*", ""},   // empty input
		{"1*3", "1*3**", "*"}, // a lone star
	}
	for _, tt := range tests {
		if got := (africastalking.USSD{}).NewInput(tt.prev, tt.text); got != tt.want {
			t.Errorf("NewInput(%q, %q) = %q, want %q", tt.prev, tt.text, got, tt.want)
		}
	}
}

func TestInputs(t *testing.T) {
	if got := (africastalking.USSD{}).Inputs(""); len(got) != 0 {
		t.Errorf("Inputs(\"\") = %q", got)
	}
	if got := strings.Join((africastalking.USSD{}).Inputs("1*3*12"), "|"); got != "1|3|12" {
		t.Errorf("Inputs = %q", got)
	}
}

func TestRender(t *testing.T) {
	ct, body := africastalking.USSD{}.Render(turn.Reply{Text: "Choisissez:\n1. Oui"})
	if !strings.HasPrefix(ct, "text/plain") || string(body) != "CON Choisissez:\n1. Oui" {
		t.Errorf("Render CON = %q %q", ct, body)
	}
	_, body = africastalking.USSD{}.Render(turn.Reply{Text: "Merci", End: true})
	if string(body) != "END Merci" {
		t.Errorf("Render END = %q", body)
	}
}

// Each testdata/ussd-events/NAME.http is an end-of-session notification;
// NAME.want holds the parsed turn.USSDEnd or "error: <reason>".
func TestParseEndFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/ussd-events/*.http")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".http"), func(t *testing.T) {
			ct, body := readRequest(t, f)
			want, err := os.ReadFile(strings.TrimSuffix(f, ".http") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			got, err := africastalking.USSD{}.ParseEnd(ct, body)
			if reason, isErr := strings.CutPrefix(strings.TrimSpace(string(want)), "error: "); isErr {
				var bad *turn.BadRequest
				if !errors.As(err, &bad) || bad.Reason != reason {
					t.Fatalf("err = %v, want bad request %q", err, reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEnd: %v", err)
			}
			var w turn.USSDEnd
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Errorf("got %+v\nwant %+v", got, w)
			}
		})
	}
}
