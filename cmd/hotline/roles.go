package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/internal/fiberserve"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/scaleout"
)

// Roles of `hotline serve`.
const (
	roleAll      = "all"      // gateway and casework in one process
	roleGateway  = "gateway"  // stateless: sessions and intake in Redis
	roleCasework = "casework" // consumes the intake stream into bbolt
)

// scaleOut is what --role, --redis and --redis-prefix ask for.
type scaleOut struct {
	role     string
	rdb      *redis.Client // nil: embedded, no Redis
	prefix   string
	consumer string
}

func newScaleOut(role, url, passwordFile, prefix, consumer string, log *slog.Logger) (scaleOut, error) {
	so := scaleOut{role: role, prefix: prefix, consumer: consumer}
	switch role {
	case roleAll:
	case roleGateway, roleCasework:
		if url == "" {
			return so, fmt.Errorf("--role %s needs --redis URL", role)
		}
	default:
		return so, fmt.Errorf("--role must be all, gateway or casework, not %q", role)
	}
	if url == "" {
		return so, nil
	}
	if prefix == "" {
		return so, fmt.Errorf("--redis-prefix must not be empty")
	}
	password, err := redisPassword(url, passwordFile, log)
	if err != nil {
		return so, err
	}
	rdb, err := scaleout.Dial(url, password)
	if err != nil {
		return so, err
	}
	redis.SetLogger(redisLogger{log})
	so.rdb = rdb
	return so, nil
}

// redisLogger sends go-redis's own messages (reconnects, pool) to the
// server log. They name Redis addresses, never caller data.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn("redis client", "msg", fmt.Sprintf(format, v...))
}

// openCasesFunc opens the bbolt store and the casework service over it.
type openCasesFunc func() (*boltstore.Store, *casework.Service, error)

// runConsumer opens casework, mirrors every case's public status and
// consumes the intake stream until ctx ends. It returns the store and the
// service, and a function that stops and closes everything.
// Voice messages that gateway replicas queued are moved into recs too.
func runConsumer(ctx context.Context, so scaleOut, open openCasesFunc, recs *recordings.Store, log *slog.Logger) (*boltstore.Store, *casework.Service, func(), error) {
	store, cases, err := open()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	voiceDone := make(chan struct{})
	go func() {
		defer close(voiceDone)
		if recs != nil {
			scaleout.NewRecordingConsumer(so.rdb, so.prefix, recs, so.consumer, log).Run(ctx)
		}
	}()
	go func() {
		defer close(done)
		// Redis may have lost the mirror (restart without AOF); a failure
		// here is logged and does not stop intake.
		n, err := scaleout.NewMirror(so.rdb, so.prefix).Resync(ctx, store)
		if err != nil {
			log.Warn("public status mirror not resynced", "err", err)
		} else {
			log.Info("public status mirror resynced", "cases", n)
		}
		c := scaleout.NewConsumer(so.rdb, so.prefix, cases, so.consumer, log)
		log.Info("consuming intake stream", "consumer", so.consumer)
		if err := c.Run(ctx); err != nil {
			log.Error("intake consumer stopped", "err", err)
		}
	}()
	stop := func() {
		cancel()
		<-done
		<-voiceDone
		if err := store.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}
	return store, cases, stop, nil
}

// caseworkApp is the casework node's app: /healthz and /readyz (ready
// when the store is writable and Redis answers); the MEAL web view is
// mounted on it or on the --admin-addr app.
func caseworkApp(so scaleOut, store *boltstore.Store, log *slog.Logger) *fiber.App {
	app := fiber.New(fiber.Config{AppName: "numero-vert-casework", ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	app.Get("/healthz", func(c fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", func(c fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.Context(), 2*time.Second)
		defer cancel()
		err := store.Check(ctx)
		if err == nil {
			err = so.rdb.Ping(ctx).Err()
		}
		if err != nil {
			log.Warn("not ready", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).SendString("store or redis unavailable")
		}
		return c.SendString("ready")
	})
	return app
}

// newAdminApp is the app of the --admin-addr listener (staff side).
func newAdminApp() *fiber.App {
	return fiber.New(fiber.Config{AppName: "numero-vert-staff", ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second})
}

// serveApp serves app on ln until ctx ends, then finishes in-flight
// requests (10 s at most).
func serveApp(ctx context.Context, app *fiber.App, ln net.Listener) error {
	return fiberserve.Serve(ctx, app, ln, 10*time.Second)
}

// mirrorChanges publishes each changed case's public status to Redis in
// the background, so that an officer's click never waits on Redis; a
// failure is logged (the error only, no case data) and mended at the next
// change or at the casework node's next start (Resync).
func mirrorChanges(ctx context.Context, m *scaleout.Mirror, log *slog.Logger) func(casework.Case) {
	return func(c casework.Case) {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := m.PublishCase(ctx, c); err != nil {
				log.Warn("public status not mirrored", "err", err)
			}
		}()
	}
}

// redisPassword reads the Redis password from --redis-password-file, else
// $REDIS_PASSWORD; a password only in the --redis URL works but is
// warned about, since every user of the machine can read command lines.
func redisPassword(rawURL, file string, log *slog.Logger) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--redis-password-file: %w", err)
		}
		p := strings.TrimSpace(string(b))
		if p == "" {
			return "", fmt.Errorf("--redis-password-file %s is empty", file)
		}
		return p, nil
	}
	if p := strings.TrimSpace(os.Getenv("REDIS_PASSWORD")); p != "" {
		return p, nil
	}
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if _, set := u.User.Password(); set {
			log.Warn("the Redis password is in the --redis URL, readable by every user of this machine; use $REDIS_PASSWORD or --redis-password-file")
		}
	}
	return "", nil
}

// gatewayPINs are the PIN keys with which a process in front of the queue
// shows a PIN for the case the casework node makes later (nil: none, and
// callers of this gateway cannot follow up). A gateway replica first
// checks that its keys are the casework node's (scaleout.CheckKeys), and
// makes no PIN key of its own unless --init-keys says so: a PIN hashed
// with a key the casework node lacks could never be checked.
func (m *Main) gatewayPINs(ctx context.Context, kd keystore.Dir, so scaleOut) (*casework.PINs, error) {
	if m.InitKeys {
		if _, _, err := kd.Keys(casework.PINKeyPurpose); err != nil { // before the check, so it covers a key made now
			return nil, err
		}
	}
	fps, err := kd.List()
	if err != nil {
		return nil, err
	}
	if so.role == roleGateway {
		if err := scaleout.CheckKeys(ctx, so.rdb, so.prefix, fps); err != nil {
			return nil, err
		}
		has := slices.ContainsFunc(fps, func(f keystore.Fingerprint) bool {
			return strings.HasPrefix(f.Name, casework.PINKeyPurpose+"-")
		})
		if !has {
			m.log.Warn("no PIN key in the keys directory: this gateway shows no PIN, so its callers cannot follow up; copy the casework node's pin-k*.key here", "path", m.KeysDir)
			return nil, nil
		}
	}
	keys, _, err := kd.Keys(casework.PINKeyPurpose)
	if err != nil {
		return nil, err
	}
	pins, err := casework.NewPINs(keys)
	if err != nil {
		return nil, err
	}
	m.ops.useKeys(casework.PINKeyPurpose, pins.UseKeys)
	return pins, nil
}

// gatewayKey makes sure a gateway replica holds the casework node's key
// of purpose (outbox, recording): what it seals another replica or the
// casework node must open. --init-keys makes one when there is none (the
// first replica of a new deployment); either way it must match the
// fingerprint the casework node published. Other roles need no check.
func (m *Main) gatewayKey(ctx context.Context, kd keystore.Dir, so scaleOut, purpose string) error {
	if so.role != roleGateway {
		return nil
	}
	if m.InitKeys {
		if _, _, err := kd.Keys(purpose); err != nil {
			return err
		}
	}
	fps, err := kd.List()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(fps, func(f keystore.Fingerprint) bool { return strings.HasPrefix(f.Name, purpose+"-") }) {
		return fmt.Errorf("no %s key in the keys directory %s: a gateway replica needs the casework node's %s-k*.key (copy its keys directory)", purpose, m.KeysDir, purpose)
	}
	return scaleout.CheckKeys(ctx, so.rdb, so.prefix, fps)
}

// voiceRecordings is where voice messages go: recs, the file beside the
// cases, or on a gateway replica with voice channels the sealed handoff to
// the casework node through Redis. Nil: no voice here.
func (m *Main) voiceRecordings(ctx context.Context, cfg *config.Config, kd keystore.Dir, so scaleOut, recs *recordings.Store, ops *opsEnv) (gateway.Recordings, error) {
	if recs != nil {
		return recs, nil
	}
	if so.role != roleGateway || !slices.ContainsFunc(cfg.Channels, func(ch config.Channel) bool { return ch.Voice != nil }) {
		return nil, nil
	}
	if err := m.gatewayKey(ctx, kd, so, recordings.Purpose); err != nil {
		return nil, err
	}
	keys, _, err := kd.Keys(recordings.Purpose)
	if err != nil {
		return nil, err
	}
	sealer, err := recordings.NewSealer(keys)
	if err != nil {
		return nil, err
	}
	ops.useKeys(recordings.Purpose, sealer.UseKeys)
	return scaleout.NewRecordingHandoff(so.rdb, so.prefix, sealer), nil
}
