package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/scaleout"
)

// dbFile is the bbolt file inside the data directory.
const dbFile = "hotline.db"

// recordingsFile holds the encrypted voice messages, beside dbFile.
const recordingsFile = "recordings.db"

// jobInterval is how often deadlines and retention are checked; deadlines
// are hours long, so a few minutes late is fine.
const jobInterval = 5 * time.Minute

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fl := newFlags("serve", stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "address to listen on")
	dataDir := fl.String("data", "./data", "data directory (bbolt file)")
	keysDir := fl.String("keys", "./keys", "secret keys directory; keep it out of backups of --data")
	cfgPath := fl.String("config", "", "deployment config (YAML); the embedded demo when empty")
	localesDir := fl.String("locales", "", "locales directory; the embedded copy when empty")
	limits := gateway.DefaultLimits
	fl.Float64Var(&limits.Channel.PerSecond, "rate-channel", limits.Channel.PerSecond, "callbacks per second per channel (0: no limit)")
	fl.IntVar(&limits.Channel.Burst, "burst-channel", limits.Channel.Burst, "callbacks at once per channel")
	fl.Float64Var(&limits.Caller.PerSecond, "rate-caller", limits.Caller.PerSecond, "callbacks per second per caller key (0: no limit)")
	fl.IntVar(&limits.Caller.Burst, "burst-caller", limits.Caller.Burst, "callbacks at once per caller key")
	smsf := smsFlags(fl)
	role := fl.String("role", roleAll, "all (one process), gateway (stateless, needs --redis) or casework (consumes from --redis into --data)")
	redisURL := fl.String("redis", "", "Redis URL (redis://host:6379/0) for sessions and intake; none: embedded, no Redis")
	redisPrefix := fl.String("redis-prefix", scaleout.DefaultPrefix, "prefix of every Redis key, to share one Redis between deployments")
	consumer := fl.String("consumer", "casework", "consumer name of the casework node in the intake group; keep it stable across restarts")
	var proxies []netip.Prefix
	fl.Func("trusted-proxy", "address or CIDR of a TLS-terminating proxy whose X-Forwarded-Proto/-For are believed (repeatable)", func(v string) error {
		p, err := parsePrefix(v)
		proxies = append(proxies, p)
		return err
	})
	if err := fl.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr)
	so, err := newScaleOut(*role, *redisURL, *redisPrefix, *consumer, log)
	if err != nil {
		return err
	}
	if so.rdb != nil {
		defer so.rdb.Close()
	}

	kd, created, err := keystore.Open(*keysDir)
	if err != nil {
		return err
	}
	if created {
		log.Info("created keys directory (mode 0700)", "path", *keysDir)
	}
	var cfg *config.Config
	if *cfgPath == "" {
		cfg, err = config.Demo()
		log.Warn("no --config given: using the embedded DEMO configuration (channel demo-at); do not use it in production")
	} else {
		cfg, err = config.Load(*cfgPath)
	}
	if err != nil {
		return err
	}
	if err := checkPlaces(cfg, *localesDir); err != nil {
		return err
	}
	// Voice messages live in their own encrypted file beside the cases,
	// wherever the cases are (roles all and casework).
	var recs *recordings.Store
	if so.role != roleGateway {
		var created bool
		recs, created, err = recordings.Open(filepath.Join(*dataDir, recordingsFile), kd)
		if err != nil {
			return err
		}
		defer recs.Close()
		if created {
			log.Info("created recording key recording-k1.key (mode 0600); deleting it makes stored voice messages unreadable")
		}
	}
	// openCases opens the bbolt store and the casework domain over it, and
	// starts the deadline and retention jobs. Only the process that holds
	// the data (roles all and casework) calls it.
	openCases := func() (*boltstore.Store, *casework.Service, error) {
		pinKeys, sealKeys, err := caseKeys(kd, log)
		if err != nil {
			return nil, nil, err
		}
		store, err := boltstore.Open(filepath.Join(*dataDir, dbFile))
		if err != nil {
			return nil, nil, err
		}
		o := casework.Options{Store: store, Config: cfg, PINKeys: pinKeys, SealKeys: sealKeys, Logger: log}
		if recs != nil {
			o.Recordings = recs
		}
		if so.rdb != nil {
			// Every change reaches the Redis mirror, so that gateway
			// replicas can answer follow-ups (status and response).
			o.OnChange = mirrorChanges(ctx, scaleout.NewMirror(so.rdb, so.prefix), log)
		}
		cases, err := casework.NewService(o)
		if err != nil {
			store.Close()
			return nil, nil, err
		}
		go cases.Run(ctx, jobInterval)
		return store, cases, nil
	}
	if so.role == roleCasework {
		mount := func(app *fiber.App, cases *casework.Service, store *boltstore.Store) error {
			return mountWeb(app, cases, store, cfg, *localesDir, proxies, log)
		}
		return serveCasework(ctx, so, *addr, *dataDir, openCases, mount, log)
	}

	keyring, created, err := callerid.Load(kd)
	if err != nil {
		return err
	}
	if created {
		log.Info("created caller-key secret callerid-k1.key (mode 0600); keep it out of backups of the data directory", "path", *keysDir)
	}
	catalog, err := loadCatalog(*localesDir)
	if err != nil {
		return err
	}

	opts := gateway.Options{Config: cfg, Catalog: catalog, Keyring: keyring, Logger: log, Limits: &limits}
	var store *boltstore.Store // nil in the gateway role: no cases here
	switch {
	case so.rdb == nil: // embedded: bbolt and in-memory sessions
		var cases *casework.Service
		store, cases, err = openCases()
		if err != nil {
			return err
		}
		defer store.Close()
		mem := sessions.NewMemory()
		go mem.Run(ctx, time.Minute)
		opts.Cases, opts.Preferences, opts.Sessions = cases, store, mem
	default: // scale-out: sessions and intake in Redis
		opts.Sessions = sessions.NewRedis(so.rdb, so.prefix)
		opts.Submitter = scaleout.NewProducer(so.rdb, so.prefix)
		opts.Mirror = scaleout.NewMirror(so.rdb, so.prefix)
		if so.role == roleAll {
			var cases *casework.Service
			var stop func()
			store, cases, stop, err = runConsumer(ctx, so, openCases, log)
			if err != nil {
				return err
			}
			defer stop()
			opts.Cases, opts.Preferences = cases, store
		}
	}
	if opts.Cases != nil {
		// SMS needs the case store in this process: follow-up, appending
		// to an open case, the outbox beside the data.
		sms, err := setupSMS(cfg, kd, *keysDir, *dataDir, *localesDir, smsf, log)
		if err != nil {
			return err
		}
		if sms.box != nil {
			defer sms.box.Close()
			workerCtx, stopWorker := context.WithCancel(ctx)
			workerDone := make(chan struct{})
			go func() { sms.worker.Run(workerCtx); close(workerDone) }()
			// Deferred after box.Close, so it runs first: the worker stops
			// before the outbox closes.
			defer func() { stopWorker(); <-workerDone }()
		}
		opts.SMS = sms.opts
		if opts.Voice, err = setupVoice(cfg, *keysDir, *localesDir, recs, log); err != nil {
			return err
		}
	}

	srv := gateway.New(opts)
	if opts.Cases != nil {
		// The MEAL web view lives where the cases are.
		if err := mountWeb(srv.App(), opts.Cases, store, cfg, *localesDir, proxies, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("hotline listening", "addr", ln.Addr().String(), "role", so.role, "redis", so.rdb != nil, "config", cfg.Source, "data", *dataDir, "languages", catalog.Languages())
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("hotline stopped")
	return nil
}

func localesFS(dir string) fs.FS {
	if dir == "" {
		return locales.FS
	}
	return os.DirFS(dir)
}

func loadCatalog(dir string) (*menus.Catalog, error) {
	c, err := menus.Load(localesFS(dir))
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	return c, nil
}

// checkPlaces rejects a config whose P-codes are not in places.csv.
func checkPlaces(cfg *config.Config, localesDir string) error {
	f, err := localesFS(localesDir).Open("places.csv")
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}
	defer f.Close()
	known, err := config.ReadPlaces(f)
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}
	return cfg.CheckPlaces(known)
}

// caseKeys loads (creating on first run) the PIN-hash and contact-seal
// secrets from the keys directory.
func caseKeys(kd keystore.Dir, log *slog.Logger) (pins, seals []keystore.Key, err error) {
	for _, k := range []struct {
		purpose string
		dst     *[]keystore.Key
	}{{casework.PINKeyPurpose, &pins}, {casework.SealKeyPurpose, &seals}} {
		keys, created, err := kd.Keys(k.purpose)
		if err != nil {
			return nil, nil, err
		}
		if created {
			log.Info("created secret " + k.purpose + "-k1.key (mode 0600); keep it out of backups of the data directory")
		}
		*k.dst = keys
	}
	return pins, seals, nil
}

// mountWeb adds the MEAL web view under /meal/ on the gateway's app.
func mountWeb(app *fiber.App, cases *casework.Service, users casework.UserStore, cfg *config.Config, localesDir string, proxies []netip.Prefix, log *slog.Logger) error {
	f, err := localesFS(localesDir).Open("places.csv")
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}
	defer f.Close()
	places, err := web.ReadPlaces(f)
	if err != nil {
		return err
	}
	w, err := web.New(web.Options{Cases: cases, Users: users, Config: cfg, Places: places, Logger: log, TrustedProxies: proxies})
	if err != nil {
		return err
	}
	w.Mount(app)
	return nil
}

func parsePrefix(v string) (netip.Prefix, error) {
	if !strings.Contains(v, "/") {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.ParsePrefix(v)
}
