// Package simulator plays the aggregators' side of the hotline: it sends the
// exact callbacks a provider would send and reads the replies, to drive the
// server by hand (Interactive), from scripts (Play) and in end-to-end tests.
//
// It only speaks HTTP: it must never import or rely on the server's internal
// packages, so that what it exercises is the wire contract. Its errors and
// output never include the phone number it simulates.
package simulator

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for USSD fields left empty.
const (
	DefaultServiceCode = "*384*1234#"
	DefaultNetworkCode = "99999" // Africa's Talking sandbox
	DefaultTimeout     = 10 * time.Second
)

// userAgent is the one Africa's Talking sends, marked as a simulation.
const userAgent = "at-ussd-api/1.0 (numerovert simulator)"

// maxReply bounds how much of a reply is read; a USSD screen is at most 182
// characters, so anything near this is a server bug.
const maxReply = 64 << 10

var defaultClient = &http.Client{Timeout: DefaultTimeout}

// ErrSessionEnded is returned by Send after the server has ended the session.
var ErrSessionEnded = errors.New("simulator: session already ended")

// USSD describes the Africa's Talking USSD channel to simulate: where its
// callbacks go and which subscriber is dialling.
type USSD struct {
	URL         string       // e.g. http://127.0.0.1:8080/c/demo-at/ussd
	Phone       string       // e.g. +22376000001 (only the +223 7600xxxx example range in tests and docs)
	ServiceCode string       // default "*384*1234#"
	NetworkCode string       // default "99999" (AT sandbox)
	Client      *http.Client // default: 10 s timeout
	// EventsURL receives end-of-session notifications (AT configures it
	// apart from the callback URL); default URL + "/events".
	EventsURL string
}

// End-of-session statuses Africa's Talking sends.
const (
	StatusIncomplete = "Incomplete" // the session ended on a screen waiting for input (timeout, network loss, cancel)
	StatusSuccess    = "Success"    // the session reached an END screen
	StatusFailed     = "Failed"     // the application failed
)

// Screen is one reply of the application.
type Screen struct {
	Text   string // without the "CON " or "END " prefix
	End    bool   // the reply began with "END ": the session is over
	Status int    // HTTP status code
}

// Session plays one Africa's Talking USSD session. It is not safe for
// concurrent use, as a handset is not.
type Session struct {
	u      USSD
	id     string
	dialed bool
	ended  bool
	inputs []string
	last   url.Values // the last request sent, for Resend
}

// NewSession starts a session with a fresh sessionId shaped like AT's:
// "ATUid_" and 32 hex characters from crypto/rand. Nothing is sent until the
// first Send.
func (u USSD) NewSession() *Session {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	return &Session{u: u, id: "ATUid_" + hex.EncodeToString(b[:])}
}

// ID returns the session's sessionId.
func (s *Session) ID() string { return s.id }

// Text returns the cumulative text the next request would build on: every
// input so far joined with "*".
func (s *Session) Text() string { return strings.Join(s.inputs, "*") }

// Ended reports whether the server has ended the session with an END reply.
func (s *Session) Ended() bool { return s.ended }

// Send sends one hop. The first call dials and must be given ""; each later
// input is appended to the cumulative text with "*", as Africa's Talking
// does ("" → "1" → "1*3"). A reply that is not HTTP 200 or does not begin
// with "CON " or "END " is an error; the Screen then still carries the status.
// A failed hop's input stays in the session, as on a handset: use Resend to
// retry it.
func (s *Session) Send(ctx context.Context, input string) (Screen, error) {
	if s.ended {
		return Screen{}, fmt.Errorf("%w (session %s)", ErrSessionEnded, s.id)
	}
	if !s.dialed {
		if input != "" {
			return Screen{}, fmt.Errorf("simulator: session %s: the first Send dials and takes no input, got %q", s.id, input)
		}
		s.dialed = true
	} else {
		s.inputs = append(s.inputs, input)
	}
	s.last = s.form()
	return s.post(ctx, s.last, true)
}

// Resend re-posts the last request unchanged, as Africa's Talking does when
// it retries a callback. It works after an END too, and does not change the
// session.
func (s *Session) Resend(ctx context.Context) (Screen, error) {
	if s.last == nil {
		return Screen{}, fmt.Errorf("simulator: session %s: nothing to resend", s.id)
	}
	return s.post(ctx, s.last, false)
}

func (s *Session) form() url.Values {
	serviceCode := s.u.ServiceCode
	if serviceCode == "" {
		serviceCode = DefaultServiceCode
	}
	networkCode := s.u.NetworkCode
	if networkCode == "" {
		networkCode = DefaultNetworkCode
	}
	return url.Values{
		"sessionId":   {s.id},
		"phoneNumber": {s.u.Phone},
		"networkCode": {networkCode},
		"serviceCode": {serviceCode},
		"text":        {s.Text()},
	}
}

// post sends form and parses the reply; track says whether an END reply ends
// the session (false for resends).
func (s *Session) post(ctx context.Context, form url.Values, track bool) (Screen, error) {
	if s.u.URL == "" {
		return Screen{}, fmt.Errorf("simulator: session %s: no URL", s.id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.u.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return Screen{}, fmt.Errorf("simulator: session %s: %w", s.id, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", userAgent)
	client := s.u.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// The error names the URL and the cause; the phone number is only in
		// the body, which it never quotes.
		return Screen{}, fmt.Errorf("simulator: session %s: %w", s.id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return Screen{Status: resp.StatusCode}, fmt.Errorf("simulator: session %s: read reply (HTTP %d): %w", s.id, resp.StatusCode, err)
	}
	reply := string(body)
	if resp.StatusCode != http.StatusOK {
		return Screen{Status: resp.StatusCode}, fmt.Errorf("simulator: session %s: HTTP %d, want 200: %s",
			s.id, resp.StatusCode, s.quote(reply))
	}
	var sc Screen
	switch {
	case strings.HasPrefix(reply, "CON "):
		sc = Screen{Text: reply[len("CON "):], Status: resp.StatusCode}
	case strings.HasPrefix(reply, "END "):
		sc = Screen{Text: reply[len("END "):], End: true, Status: resp.StatusCode}
	default:
		return Screen{Status: resp.StatusCode}, fmt.Errorf(
			"simulator: session %s: HTTP %d: reply does not start with \"CON \" or \"END \" (Africa's Talking would end the session): %s",
			s.id, resp.StatusCode, s.quote(reply))
	}
	if track && sc.End {
		s.ended = true
	}
	return sc, nil
}

// quote shows the start of a bad reply for debugging, with the simulated
// phone number masked in case the server echoed it.
func (s *Session) quote(reply string) string {
	if p := s.u.Phone; p != "" {
		for _, form := range []string{p, url.QueryEscape(p), strings.TrimPrefix(p, "+")} {
			if form != "" {
				reply = strings.ReplaceAll(reply, form, "[phone]")
			}
		}
	}
	const max = 120
	if r := []rune(reply); len(r) > max {
		reply = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", reply)
}

// Hangup sends the end-of-session notification Africa's Talking posts when
// a session is over, with the given status (StatusIncomplete for a caller
// whose network dropped), and marks the session ended. It returns the HTTP
// status and an error if it is not 200.
func (s *Session) Hangup(ctx context.Context, status string) (int, error) {
	u := s.u.EventsURL
	if u == "" {
		u = s.u.URL + "/events"
	}
	form := s.form()
	form.Del("text")
	form.Set("input", s.Text())
	form.Set("status", status)
	form.Set("date", time.Now().UTC().Format("2006-01-02 15:04:05"))
	form.Set("cost", "XOF 0.00")
	form.Set("hopsCount", fmt.Sprint(len(s.inputs)+1))
	form.Set("durationInMillis", "60000")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, fmt.Errorf("simulator: session %s: %w", s.id, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", userAgent)
	client := s.u.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("simulator: session %s: end notification: %w", s.id, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	s.ended = true
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("simulator: session %s: end notification: HTTP %d: %s", s.id, resp.StatusCode, s.quote(string(body)))
	}
	return resp.StatusCode, nil
}

// Play dials a new session, then sends each input in turn, calling onScreen
// (if not nil) with every screen including the first. It stops early, without
// error, at an END; inputs left over are not sent. It returns the screens
// received so far even on error.
func (u USSD) Play(ctx context.Context, inputs []string, onScreen func(Screen)) ([]Screen, error) {
	s := u.NewSession()
	var screens []Screen
	for i := -1; i < len(inputs); i++ {
		input := ""
		if i >= 0 {
			input = inputs[i]
		}
		sc, err := s.Send(ctx, input)
		if err != nil {
			return screens, err
		}
		screens = append(screens, sc)
		if onScreen != nil {
			onScreen(sc)
		}
		if sc.End {
			break
		}
	}
	return screens, nil
}

// Interactive plays a handset on a terminal: it dials, prints each screen to
// out, and reads one line from in per input, until the session ends or in
// reaches EOF (which is not an error).
func Interactive(ctx context.Context, u USSD, in io.Reader, out io.Writer) error {
	s := u.NewSession()
	lines := bufio.NewScanner(in)
	input := ""
	for {
		sc, err := s.Send(ctx, input)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(out, sc.Text); err != nil {
			return fmt.Errorf("simulator: write screen: %w", err)
		}
		if sc.End {
			_, err := fmt.Fprintln(out, "[session ended]")
			return err
		}
		if _, err := fmt.Fprint(out, "> "); err != nil {
			return fmt.Errorf("simulator: write prompt: %w", err)
		}
		if !lines.Scan() {
			if err := lines.Err(); err != nil {
				return fmt.Errorf("simulator: read input: %w", err)
			}
			_, err := fmt.Fprintln(out)
			return err
		}
		input = strings.TrimSpace(lines.Text())
	}
}

// Reroute sends the rest of the session to url, as when the aggregator's
// callback URL points at a gateway that restarted elsewhere. The session
// id and the inputs so far are kept.
func (s *Session) Reroute(url string) { s.u.URL = url }
