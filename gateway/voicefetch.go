package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/numerovert/hotline/config"
)

// Fetching a voice message is the one request the gateway makes on a URL
// a callback chose, so every rule here assumes the callback was forged:
//
//   - https only, to a host and port the channel's config names; plain http
//     only to a loopback IP literal (the demo's simulator);
//   - the provider's credentials only to its own API hosts, compared by
//     exact host and port (Go's client keeps Authorization across ports of
//     one host and never strips custom headers such as AT's apiKey);
//   - every redirect is checked again and starts with no headers at all,
//     credentials added back only for a credential host.

var (
	errRecordingHost = errors.New("recording URL is not on an allowed host")
	errRecordingSize = errors.New("recording is larger than allowed")
)

func (s *Server) fetchRecording(ctx context.Context, vc VoiceChannel, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || !allowedRecordingURL(u, vc.RecordingHosts) {
		return nil, errRecordingHost
	}
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout(vc))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errRecordingHost
	}
	if hostMatches(u, vc.CredentialHosts, true) {
		vc.Adapter.Authorize(req)
	}
	client := *s.voice.Client
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 3 || !allowedRecordingURL(r.URL, vc.RecordingHosts) {
			return errRecordingHost
		}
		r.Header = http.Header{}
		if hostMatches(r.URL, vc.CredentialHosts, true) {
			vc.Adapter.Authorize(r)
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL
		}
		return nil, fmt.Errorf("fetch recording: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch recording: status %d", resp.StatusCode)
	}
	if resp.ContentLength > s.voice.MaxRecording {
		return nil, errRecordingSize
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, s.voice.MaxRecording+1))
	if err != nil {
		return nil, fmt.Errorf("read recording: %w", err)
	}
	if int64(len(data)) > s.voice.MaxRecording {
		return nil, errRecordingSize
	}
	if len(data) == 0 {
		return nil, errors.New("fetch recording: empty")
	}
	return data, nil
}

// allowedRecordingURL reports whether a voice message may be fetched from
// u: https to a listed host and port, or plain http to a loopback IP
// literal that is listed.
func allowedRecordingURL(u *url.URL, hosts []string) bool {
	if u == nil || u.User != nil || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return hostMatches(u, hosts, false)
	case "http":
		a, err := netip.ParseAddr(u.Hostname())
		return err == nil && a.Unmap().IsLoopback() && hostMatches(u, hosts, false)
	}
	return false
}

// hostMatches reports whether u's host and port are one of hosts: "host"
// (port 443), "host:port", and unless exact also ".domain" for any host
// under it on 443 and a loopback "host" on any port over http (the demo's
// simulator listens on a free port). Credentials use exact.
func hostMatches(u *url.URL, hosts []string, exact bool) bool {
	h, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	for _, e := range hosts {
		e = strings.ToLower(strings.TrimSpace(e))
		eh, ep, err := net.SplitHostPort(e)
		if err != nil {
			eh, ep = strings.Trim(e, "[]"), ""
		}
		if ep == "" {
			if u.Scheme == "http" && !exact {
				ep = port // loopback http only (allowedRecordingURL)
			} else {
				ep = "443"
			}
		}
		if port != ep {
			continue
		}
		if h == eh || (!exact && strings.HasPrefix(eh, ".") && strings.HasSuffix(h, eh)) {
			return true
		}
	}
	return false
}

// deleteProviderCopy has the provider delete its copy of a voice message
// we now hold, after the callback has been answered (a provider waits
// for the answer, not for this). Only the provider's own API host gets
// the request, with its credentials, and no redirect is followed. A copy
// that could not be deleted is logged (never its URL) for an operator to
// delete in the provider's console.
func (s *Server) deleteProviderCopy(ch config.Channel, vc VoiceChannel, raw string) {
	d, ok := vc.Adapter.(RecordingDeleter)
	if !ok {
		return // the provider offers no deletion (Africa's Talking): see docs/threat-model.md
	}
	copies := func(outcome string) prometheus.Counter {
		return s.metrics.providerCopies.WithLabelValues(ch.ID, ch.Provider, outcome)
	}
	failed := copies("failed")
	u, err := url.Parse(raw)
	if err != nil || !allowedRecordingURL(u, vc.RecordingHosts) || !hostMatches(u, vc.CredentialHosts, true) {
		s.log.Warn("voice message kept; its copy at the provider was not deleted: it is not on the provider's API host", "channel", ch.ID)
		failed.Inc()
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout(vc))
		defer cancel()
		req, ok := d.DeleteRecording(ctx, u)
		if !ok {
			s.log.Warn("voice message kept; its copy at the provider was not deleted: not a recording of this account", "channel", ch.ID)
			failed.Inc()
			return
		}
		client := *s.voice.Client
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error quotes the URL
			}
			s.log.Warn("voice message kept; deleting its copy at the provider failed: delete it in the provider's console", "channel", ch.ID, "err", err)
			failed.Inc()
			return
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusNoContent, http.StatusOK, http.StatusNotFound: // 404: already gone
			copies("deleted").Inc()
			s.log.Info("voice message kept; its copy at the provider deleted", "channel", ch.ID)
		default:
			s.log.Warn("voice message kept; deleting its copy at the provider failed: delete it in the provider's console", "channel", ch.ID, "status", resp.StatusCode)
			failed.Inc()
		}
	}()
}
