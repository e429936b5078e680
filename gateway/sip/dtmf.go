package sip

import (
	"errors"
	"strings"
)

var errNoSignal = errors.New("no DTMF signal in the INFO body")

// ParseINFO reads the key of a SIP INFO carrying DTMF: application/dtmf-relay
// ("Signal=5\r\nDuration=160", the form gateways and most trunks send;
// some send 10 and 11 for * and #) or application/dtmf (the key alone).
// Anything else is refused: a malformed INFO moves no call.
func ParseINFO(contentType string, body []byte) (rune, error) {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	switch strings.TrimSpace(ct) {
	case "application/dtmf-relay":
		for line := range strings.SplitSeq(string(body), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "signal") {
				continue
			}
			return dtmfKey(strings.TrimSpace(v))
		}
		return 0, errNoSignal
	case "application/dtmf":
		return dtmfKey(strings.TrimSpace(string(body)))
	}
	return 0, errors.New("not a DTMF content type")
}

func dtmfKey(v string) (rune, error) {
	switch v {
	case "10":
		return '*', nil
	case "11":
		return '#', nil
	}
	if len(v) == 1 && strings.ContainsRune("0123456789*#ABCDabcd", rune(v[0])) {
		return []rune(strings.ToUpper(v))[0], nil
	}
	return 0, errNoSignal
}
