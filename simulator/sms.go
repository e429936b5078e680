package simulator

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Providers whose SMS side the simulator plays.
const (
	ProviderAT     = "africastalking"
	ProviderTwilio = "twilio"
)

// SMS describes a phone texting a channel: where the provider posts
// inbound messages and who is texting.
type SMS struct {
	Provider  string // ProviderAT or ProviderTwilio
	URL       string // e.g. http://127.0.0.1:8080/c/demo-at/sms
	Phone     string // the sender (only the +223 7600xxxx example range)
	To        string // our short code or number; default "36061" (AT) or "+22376000900" (Twilio)
	AuthToken string // Twilio: signs the webhook (X-Twilio-Signature)
	Client    *http.Client
}

// Inbound is one message as sent, kept so that it can be sent again the
// way a provider retries.
type Inbound struct {
	ID   string
	form url.Values
}

// Reply is the server's answer to a callback.
type Reply struct {
	Status int
	Body   string
}

func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	return prefix + hex.EncodeToString(b[:])
}

// Message builds an inbound message with a fresh provider id, exactly as
// the provider would post it.
func (s SMS) Message(text string) Inbound {
	switch s.Provider {
	case ProviderTwilio:
		id := newID("SM")
		to := s.To
		if to == "" {
			to = "+22376000900"
		}
		return Inbound{ID: id, form: url.Values{
			"MessageSid": {id}, "SmsSid": {id}, "SmsMessageSid": {id}, "AccountSid": {"ACdemo0000000000000000000000000000"},
			"MessagingServiceSid": {""}, "From": {s.Phone}, "To": {to}, "Body": {text}, "NumMedia": {"0"},
			"NumSegments": {"1"}, "SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"},
			"FromCountry": {"ML"}, "ToCountry": {"ML"},
		}}
	default:
		id := "ATXid_" + newID("")
		to := s.To
		if to == "" {
			to = "36061"
		}
		return Inbound{ID: id, form: url.Values{
			"id": {id}, "from": {s.Phone}, "to": {to}, "text": {text}, "linkId": {""},
			"date": {time.Now().UTC().Format("2006-01-02 15:04:05")},
		}}
	}
}

// Send posts text as a new inbound message.
func (s SMS) Send(ctx context.Context, text string) (Inbound, Reply, error) {
	m := s.Message(text)
	r, err := s.Post(ctx, m)
	return m, r, err
}

// Post sends m (again): a provider's retry carries the same id.
func (s SMS) Post(ctx context.Context, m Inbound) (Reply, error) {
	return postForm(ctx, s.Client, s.Provider, s.URL, s.AuthToken, m.form)
}

func postForm(ctx context.Context, client *http.Client, provider, target, token string, form url.Values) (Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return Reply{}, fmt.Errorf("simulator: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if provider == ProviderTwilio {
		req.Header.Set("User-Agent", "TwilioProxy/1.1 (numerovert simulator)")
		req.Header.Set("X-Twilio-Signature", TwilioSignature(token, target, form))
	} else {
		req.Header.Set("User-Agent", "AfricasTalking (numerovert simulator)")
	}
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("simulator: post: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return Reply{}, fmt.Errorf("simulator: read reply: %w", err)
	}
	return Reply{Status: resp.StatusCode, Body: string(b)}, nil
}

// TwilioSignature signs a form post to fullURL as Twilio does: the URL,
// then each parameter name (sorted) followed by its values (sorted),
// HMAC-SHA1 under the auth token, Base64. It is written here afresh, not
// imported from the server, so the two implementations check each other.
func TwilioSignature(token, fullURL string, form url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		vs := slices.Clone(form[k])
		slices.Sort(vs)
		for _, v := range slices.Compact(vs) {
			b.WriteString(k + v)
		}
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
