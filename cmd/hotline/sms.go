package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/scaleout"
	"github.com/numerovert/hotline/simulator"
)

// outboxFile is the outbox's bbolt file inside the data directory.
const outboxFile = "outbox.db"

type smsFlagSet struct {
	retryMin, retryMax, window *time.Duration
}

func smsFlags(fl *flag.FlagSet) smsFlagSet {
	return smsFlagSet{
		retryMin: fl.Duration("sms-retry-min", 5*time.Second, "first SMS send retry delay (doubles, with jitter)"),
		retryMax: fl.Duration("sms-retry-max", 10*time.Minute, "longest SMS send retry delay"),
		window:   fl.Duration("sms-window", outbox.DefaultWindow, "how long an SMS reply (and its sealed number) is kept trying"),
	}
}

// smsSetup is the SMS side of a running server.
type smsSetup struct {
	opts   gateway.SMSOptions
	box    *outbox.Store  // nil on a gateway replica: its outbox is in Redis
	sealer *outbox.Sealer // takes a rotated outbox key while serving
	worker *outbox.Worker
}

// setupSMS opens the outbox and builds each SMS channel's adapter and
// sender from the config, resolving credentials from the environment or
// the keys directory. With no SMS channel it returns a zero setup. A
// gateway replica keeps its outbox in Redis (scaleout.Outbox), shared
// with the other replicas, and needs the casework node's outbox key
// (need checks it).
func setupSMS(cfg *config.Config, kd keystore.Dir, keysDir, dataDir, localesDir string, f smsFlagSet, so scaleOut, need func(purpose string) error, log *slog.Logger) (smsSetup, error) {
	channels := map[string]gateway.SMSChannel{}
	names := map[string]string{}
	senders := map[string]outbox.Sender{}
	for _, ch := range cfg.Channels {
		if ch.SMS == nil {
			continue
		}
		sc := ch.SMS
		names[ch.ID] = ch.Name
		timeout := sc.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		client := &http.Client{Timeout: timeout}
		d, _ := providers.Get(ch.Provider) // providers.Check passed at start
		field, secret := d.SMS.Secret(*sc)
		value, err := secret.Resolve(keysDir)
		if err != nil {
			return smsSetup{}, fmt.Errorf("channel %s: %s: %w", ch.ID, field, err)
		}
		warnDemo(log, ch, "sms", secret)
		adapter, sender := d.SMS.New(ch, value, client)
		channels[ch.ID] = gateway.SMSChannel{Adapter: adapter, From: sc.From, GET: d.SMS.GET}
		senders[ch.ID] = sender
	}
	if len(channels) == 0 {
		return smsSetup{}, nil
	}
	if err := addCallSenders(cfg, keysDir, senders, names); err != nil {
		return smsSetup{}, err
	}
	if err := need(outbox.Purpose); err != nil {
		return smsSetup{}, err
	}
	sealer, created, err := outbox.LoadSealer(kd)
	if err != nil {
		return smsSetup{}, err
	}
	if created {
		log.Info("created outbox sealing key outbox-k1.key (mode 0600); deleting it makes queued SMS unreadable", "path", keysDir)
	}
	texts, err := gateway.LoadSMSTexts(smsFS(localesDir))
	if err != nil {
		return smsSetup{}, err
	}
	var queue outbox.Queue
	var box *outbox.Store
	if so.role == roleGateway {
		q := scaleout.NewOutbox(so.rdb, so.prefix, sealer)
		q.Window = *f.window
		queue = q
	} else {
		if box, err = outbox.Open(filepath.Join(dataDir, outboxFile), sealer, outbox.Options{Window: *f.window}); err != nil {
			return smsSetup{}, err
		}
		queue = box
	}
	return smsSetup{
		opts:   gateway.SMSOptions{Outbox: queue, Texts: texts, Channels: channels},
		box:    box,
		sealer: sealer,
		worker: &outbox.Worker{Store: queue, Senders: senders, Names: names, Logger: log,
			Backoff: outbox.Backoff{Min: *f.retryMin, Max: *f.retryMax}},
	}, nil
}

// warnDemo says, once per channel and use (sms, voice), that a published
// demo credential is in use.
func warnDemo(log *slog.Logger, ch config.Channel, use string, s config.Secret) {
	if s.IsDemo() {
		log.Warn("channel uses a published DEMO credential; do not use it in production", "channel", ch.Name, "for", use)
	}
}

// smsFS is the locales directory whose files' `sms:` sections hold the
// SMS replies: --locales DIR, else the embedded one.
func smsFS(dir string) fs.FS {
	if dir == "" {
		return locales.FS
	}
	return os.DirFS(dir)
}

func simulateSMS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("simulate sms", stderr)
	provider := fl.String("provider", simulator.ProviderAT, "africastalking or twilio")
	target := fl.String("url", "", "the channel's SMS URL (default: the demo channel of --provider on 127.0.0.1:8080)")
	phone := fl.String("phone", "+22376000001", "sender number (use the +223 7600xxxx example range)")
	text := fl.String("text", "", "the message")
	token := fl.String("auth-token", "demo-twilio-auth-token-NOT-A-SECRET", "Twilio auth token that signs the webhook (default: the demo's)")
	repeat := fl.Int("repeat", 1, "send the same message (same provider id) this many times, as a provider retrying")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *provider != simulator.ProviderAT && *provider != simulator.ProviderTwilio {
		return fmt.Errorf("simulate sms: unknown provider %q: %w", *provider, errUsage)
	}
	if *target == "" {
		*target = "http://127.0.0.1:8080/c/demo-at/sms"
		if *provider == simulator.ProviderTwilio {
			*target = "http://127.0.0.1:8080/c/demo-twilio/sms"
		}
	}
	s := simulator.SMS{Provider: *provider, URL: *target, Phone: *phone, AuthToken: *token}
	m := s.Message(*text)
	for range max(*repeat, 1) {
		r, err := s.Post(ctx, m)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "--- %d (message id %s)\n%s\n", r.Status, m.ID, r.Body)
	}
	return nil
}

func simulateProvider(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("simulate provider", stderr)
	addr := fl.String("addr", "127.0.0.1:8090", "address of the fake send API")
	reportAT := fl.String("report-at", "http://127.0.0.1:8080/c/demo-at/sms/status", "where to post AT delivery reports (empty: none)")
	reportTwilio := fl.String("report-twilio", "http://127.0.0.1:8080/c/demo-twilio/sms/status", "where to post Twilio status callbacks (empty: none)")
	token := fl.String("auth-token", "demo-twilio-auth-token-NOT-A-SECRET", "Twilio auth token that signs status callbacks")
	voiceAT := fl.String("voice-at", "http://127.0.0.1:8080/c/demo-at/voice", "where AT posts the notifications of the calls it places (call-backs)")
	failing := fl.Bool("fail", false, "answer every send with 503, as in an outage")
	delay := fl.Duration("delay", 0, "wait this long before answering each send")
	if err := fl.Parse(args); err != nil {
		return err
	}
	f := &simulator.FakeProvider{ReportURL: map[string]string{simulator.ProviderAT: *reportAT, simulator.ProviderTwilio: *reportTwilio}, TwilioToken: *token}
	f.SetFailing(*failing)
	f.SetDelay(*delay)
	f.SetVoiceURL(simulator.ProviderAT, *voiceAT)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stderr, "fake provider send API on http://%s (Ctrl-C to stop)\n", ln.Addr())
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		// Print each delivery as it comes: the body, and the number with
		// all but its last two digits hidden.
		seen := 0
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			d := f.Delivered()
			for _, m := range d[seen:] {
				fmt.Fprintf(stdout, "--- %s to %s (id %s)\n%s\n", m.Provider, maskNumber(m.To), m.ProviderID, m.Body)
			}
			seen = len(d)
		}
	}()
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("fake provider: %w", err)
	}
	return nil
}

func maskNumber(n string) string {
	if len(n) <= 2 {
		return "**"
	}
	return strings.Repeat("*", len(n)-2) + n[len(n)-2:]
}

func listOutbox(ctx context.Context, env *opsEnv, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("outbox list", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	keysDir := fl.String("keys", "./keys", "keys directory (the sealing key; nothing is unsealed); the server's own while one serves")
	redisURL := fl.String("redis", "", "the gateway replicas' Redis (as their --redis): list their shared outbox instead of the bbolt file")
	redisPrefix := fl.String("redis-prefix", scaleout.DefaultPrefix, "the replicas' --redis-prefix")
	redisPasswordFile := fl.String("redis-password-file", "", "file holding the Redis password (else $REDIS_PASSWORD)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	var list []outbox.Record
	var err error
	if *redisURL != "" {
		list, err = listRedisOutbox(ctx, *redisURL, *redisPasswordFile, *redisPrefix, stderr)
	} else {
		list, err = listFileOutbox(ctx, env, *dataDir, *keysDir)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, r := range list {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("outbox list: %w", err)
		}
	}
	return nil
}

func listFileOutbox(ctx context.Context, env *opsEnv, dataDir, keysDir string) ([]outbox.Record, error) {
	box, done, err := env.outbox(dataDir, keysDir)
	if err != nil {
		return nil, err
	}
	defer done()
	return box.List(ctx)
}

// listRedisOutbox reads the gateway replicas' outbox in Redis (where
// gateways keep no file); it reads no seal, so it needs no key.
func listRedisOutbox(ctx context.Context, rawURL, passwordFile, prefix string, stderr io.Writer) ([]outbox.Record, error) {
	if prefix == "" {
		return nil, fmt.Errorf("outbox list: --redis-prefix must not be empty")
	}
	password, err := redisPassword(rawURL, passwordFile, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return nil, fmt.Errorf("outbox list: %w", err)
	}
	rdb, err := scaleout.Dial(rawURL, password)
	if err != nil {
		return nil, fmt.Errorf("outbox list: %w", err)
	}
	defer rdb.Close()
	list, err := scaleout.NewOutbox(rdb, prefix, nil).List(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox list: %w", err)
	}
	return list, nil
}
