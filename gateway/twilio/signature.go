// Package twilio speaks Twilio's wire formats for SMS: it checks the
// X-Twilio-Signature of webhooks, parses inbound messages and status
// callbacks into channel-neutral turns, renders TwiML replies and sends
// through the Messages API.
//
// It must never log a request, a number, a message or the auth token, and
// never keep anything between calls.
package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// ErrBadSignature is returned (wrapped) when X-Twilio-Signature is missing
// or does not match: the request did not come from the account holding the
// auth token, or a proxy changed the URL.
var ErrBadSignature = errors.New("twilio: bad or missing X-Twilio-Signature")

// Signature computes X-Twilio-Signature as Twilio does for a form-encoded
// request: the full URL (query included), then each POST parameter name in
// lexicographic order immediately followed by its value (distinct values of
// a repeated name sorted), HMAC-SHA1 under the auth token, Base64.
func Signature(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, name := range slices.Sorted(maps.Keys(params)) {
		values := slices.Clone(params[name])
		slices.Sort(values)
		for _, v := range slices.Compact(values) {
			b.WriteString(name)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks signature against the URL Twilio requested and the form it
// posted, in constant time. Twilio has been inconsistent about default
// ports, so the URL is also tried with ":443"/":80" added or removed, as
// Twilio's own validators do.
func Verify(authToken, fullURL string, params url.Values, signature string) error {
	if authToken == "" || signature == "" {
		return ErrBadSignature
	}
	got := []byte(signature)
	for _, u := range urlVariants(fullURL) {
		want := []byte(Signature(authToken, u, params))
		if subtle.ConstantTimeCompare(got, want) == 1 {
			return nil
		}
	}
	return ErrBadSignature
}

func urlVariants(fullURL string) []string {
	out := []string{fullURL}
	u, err := url.Parse(fullURL)
	if err != nil {
		return out
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if def == "" {
		return out
	}
	v := *u
	switch u.Port() {
	case "":
		v.Host = u.Host + ":" + def
	case def:
		v.Host = u.Hostname()
	default:
		return out
	}
	return append(out, v.String())
}
