package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CallBack is a voice channel's masked call-back (issue #16): the hotline
// calls an officer, then bridges to a caller who asked to be called back,
// presenting From to both. Neither side is shown the other's number.
type CallBack struct {
	// From is the hotline's own number, the caller ID both parties see.
	From string `yaml:"from"`
	// BaseURL is the provider's call API (default: Twilio's REST API,
	// Africa's Talking's voice API); the demo points it at the simulator.
	BaseURL string `yaml:"base_url"`
	// Username is the Africa's Talking application user name.
	Username string `yaml:"username"`
	// Hours are the local hours ("08-18": from 08:00 to 18:00) when a
	// caller may be called; default 08-18. Mali is on UTC all year.
	Hours string `yaml:"hours"`
	// Attempts bounds the calls to a caller who does not answer; default 3.
	Attempts int `yaml:"attempts"`
	// Sensitive lets PSEA and protection cases be called back, the caller
	// first asked whether it is safe to talk. Default true.
	Sensitive *bool `yaml:"sensitive"`
}

// Default call-back settings.
const (
	DefaultCallBackAttempts = 3
	DefaultCallBackHours    = "08-18"
)

// MaxAttempts is Attempts or its default.
func (c CallBack) MaxAttempts() int {
	if c.Attempts > 0 {
		return c.Attempts
	}
	return DefaultCallBackAttempts
}

// Within reports whether t (read in UTC, Mali's time) is within Hours.
func (c CallBack) Within(t time.Time) bool {
	from, to, err := parseHours(c.Hours)
	if err != nil {
		return false
	}
	h := t.UTC().Hour()
	return h >= from && h < to
}

func parseHours(s string) (from, to int, err error) {
	if s == "" {
		s = DefaultCallBackHours
	}
	a, b, ok := strings.Cut(s, "-")
	from, err1 := strconv.Atoi(strings.TrimSpace(a))
	to, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || from < 0 || to > 24 || from >= to {
		return 0, 0, fmt.Errorf("callback.hours %q: want \"HH-HH\", e.g. \"08-18\"", s)
	}
	return from, to, nil
}

func validateCallBack(ch Channel) []string {
	if ch.Voice != nil && ch.Voice.CallBackOnMissedCall && ch.Voice.CallBack == nil {
		return []string{"voice.callback_on_missed_call needs voice.callback (the number the hotline calls from)"}
	}
	if ch.Voice == nil || ch.Voice.CallBack == nil {
		return nil
	}
	cb := ch.Voice.CallBack
	var problems []string
	if strings.TrimSpace(cb.From) == "" {
		problems = append(problems, "voice.callback.from (the hotline's number) is required")
	}
	if _, _, err := parseHours(cb.Hours); err != nil {
		problems = append(problems, "voice."+err.Error())
	}
	if cb.Attempts < 0 {
		problems = append(problems, "voice.callback.attempts must be positive")
	}
	return problems
}
