package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v3"
	fiberredis "github.com/gofiber/storage/redis/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/internal/webstore"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/overlay"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/scaleout"
	"github.com/numerovert/hotline/subscribers"
)

// startCPUProfile profiles the process into path until the returned stop
// runs. The profile holds function names and sample counts, no data.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// dbFile is the bbolt file inside the data directory.
const dbFile = "hotline.db"

// recordingsFile holds the encrypted voice messages, beside dbFile.
const recordingsFile = "recordings.db"

// jobInterval is how often deadlines and retention are checked; deadlines
// are hours long, so a few minutes late is fine.
const jobInterval = 5 * time.Minute

// subscribersFile holds the information line's sealed subscriber numbers;
// broadcastInterval is how often approved broadcasts are looked for.
const (
	subscribersFile   = "subscribers.db"
	broadcastInterval = 2 * time.Second
	// infoMirrorInterval: how often the casework node republishes the
	// information pages for the gateways (a change is published at once)
	// and takes the views they counted.
	infoMirrorInterval = time.Minute
)

// Main is `hotline serve` as a program object: ParseFlags, then Open
// (keys, config, stores, listeners: everything that can fail at start),
// Run (serve until the context ends) and Close (stop the background jobs
// and close every store, last opened first). Tests run it in process.
type Main struct {
	Addr, AdminAddr                       string
	DataDir, KeysDir, ConfigPath          string
	LocalesDir                            string
	InitKeys                              bool
	Limits                                gateway.Limits
	Role, RedisURL, RedisPrefix, Consumer string
	// RedisPasswordFile holds the Redis password (else $REDIS_PASSWORD).
	RedisPasswordFile string
	// RedisReplicas: see scaleout.Producer.Replicas.
	RedisReplicas int
	Proxies       []netip.Prefix
	CPUProfile    string

	stderr  io.Writer
	sms     smsFlagSet
	log     *slog.Logger
	jobs    context.Context // background jobs; cancelled by Close
	stop    context.CancelFunc
	closers []func() error
	ln      net.Listener
	admin   net.Listener // --admin-addr, nil when not set
	serveFn func(ctx context.Context, ln net.Listener) error
	// listens start the SIP channels in listen(), their calls walked by calls.
	listens []listenStart
	calls   provider.CallSteps
	adminFn func(ctx context.Context, ln net.Listener) error
	sock    *adminSocket

	// What Reload reads and replaces.
	cfg     *config.Config
	catalog *menus.Catalog
	cases   *casework.Service // nil in the gateway role
	// infoAudio reads information page recordings where the studio is.
	infoAudio scaleout.InfoAudioReader
	ops       *opsEnv
}

// NewMain returns a Main with the defaults of `hotline serve`.
func NewMain(stderr io.Writer) *Main {
	return &Main{stderr: stderr, Limits: gateway.DefaultLimits}
}

// serve is `hotline serve`: Open, Run until ctx ends, Close.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	m := NewMain(stderr)
	if err := m.ParseFlags(args); err != nil {
		return err
	}
	if m.CPUProfile != "" {
		stop, err := startCPUProfile(m.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := m.Open(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	err := m.Run(ctx)
	return errors.Join(err, m.Close())
}

// ParseFlags reads the command line of `hotline serve`.
func (m *Main) ParseFlags(args []string) error {
	fl := newFlags("serve", m.stderr)
	fl.StringVar(&m.Addr, "addr", "127.0.0.1:8080", "address of the provider callbacks")
	fl.StringVar(&m.AdminAddr, "admin-addr", "", "separate address for the staff side (/meal/, /metrics); empty: served on --addr")
	fl.StringVar(&m.DataDir, "data", "./data", "data directory (bbolt files)")
	fl.StringVar(&m.KeysDir, "keys", "./keys", "secret keys directory; keep it out of backups of --data")
	fl.BoolVar(&m.InitKeys, "init-keys", false, "create new keys, only when the data directory is empty")
	fl.StringVar(&m.ConfigPath, "config", "", "deployment config (YAML); the embedded demo when empty")
	fl.StringVar(&m.LocalesDir, "locales", "", "locales directory; the embedded copy when empty")
	fl.Float64Var(&m.Limits.Channel.PerSecond, "rate-channel", m.Limits.Channel.PerSecond, "callbacks per second per channel (0: no limit)")
	fl.IntVar(&m.Limits.Channel.Burst, "burst-channel", m.Limits.Channel.Burst, "callbacks at once per channel")
	fl.Float64Var(&m.Limits.Caller.PerSecond, "rate-caller", m.Limits.Caller.PerSecond, "callbacks per second per caller key (0: no limit)")
	fl.IntVar(&m.Limits.Caller.Burst, "burst-caller", m.Limits.Caller.Burst, "callbacks at once per caller key")
	m.sms = smsFlags(fl)
	fl.StringVar(&m.Role, "role", roleAll, "all (one process), gateway (stateless, needs --redis) or casework (consumes from --redis into --data)")
	fl.StringVar(&m.RedisURL, "redis", "", "Redis URL (redis://host:6379/0, or Sentinels: redis://s1:26379/0?master_name=NAME&addr=s2:26379&addr=s3:26379) for sessions and intake; none: embedded, no Redis")
	fl.IntVar(&m.RedisReplicas, "redis-wait-replicas", 0, "replicas that must hold a complaint before its reference is shown (Redis WAIT); 0: the primary's acknowledgement")
	fl.StringVar(&m.RedisPasswordFile, "redis-password-file", "", "file holding the Redis password (else $REDIS_PASSWORD); keep it out of the URL")
	fl.StringVar(&m.RedisPrefix, "redis-prefix", scaleout.DefaultPrefix, "prefix of every Redis key, to share one Redis between deployments")
	fl.StringVar(&m.Consumer, "consumer", "casework", "consumer name of the casework node in the intake group; keep it stable across restarts")
	fl.Func("trusted-proxy", "address or CIDR of a TLS-terminating proxy whose X-Forwarded-Proto/-For are believed (repeatable)", func(v string) error {
		p, err := parsePrefix(v)
		m.Proxies = append(m.Proxies, p)
		return err
	})
	fl.StringVar(&m.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (for `make bench`)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q: %w", fl.Arg(0), errUsage)
	}
	return nil
}

// onClose registers f to run at Close, before what was registered earlier.
func (m *Main) onClose(f func() error) { m.closers = append(m.closers, f) }

// Close stops the background jobs and closes what Open opened, last
// first. It is safe to call after a failed Open.
func (m *Main) Close() error {
	if m.stop != nil {
		m.stop()
	}
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// ListenAddr is the address the callbacks listen on, once Open has returned.
func (m *Main) ListenAddr() string { return m.ln.Addr().String() }

// Open checks keys and config, opens the stores, starts the background
// jobs and listens. Nothing is served before Run.
func (m *Main) Open(ctx context.Context) error {
	m.log = newLogger(m.stderr)
	log := m.log
	m.jobs, m.stop = context.WithCancel(context.WithoutCancel(ctx))
	so, err := newScaleOut(m.Role, m.RedisURL, m.RedisPasswordFile, m.RedisPrefix, m.Consumer, log)
	if err != nil {
		return err
	}
	if so.rdb != nil {
		m.onClose(so.rdb.Close)
	}
	cfg, catalog, err := m.openConfig()
	if err != nil {
		return err
	}
	kd, err := m.openKeys(so.role)
	if err != nil {
		return err
	}
	// Voice messages live in their own encrypted file beside the cases,
	// wherever the cases are (roles all and casework).
	recs, err := m.openRecordings(so, kd)
	if err != nil {
		return err
	}
	snap := &snapshotter{dataDir: m.DataDir}
	ops := &opsEnv{keysDir: kd, boundToData: so.role != roleGateway} // what `hotline users`, `cases list`, `outbox list` and `keys rotate` run on while this serves
	ops.cfg.Store(cfg)
	catalog = catalog.WithServices(referralDirectory(ops.cfg.Load))
	// The language studio's edits over the shipped locales, where the
	// data is (issue 13): the catalogue callers get from now on.
	studio, catalog, err := m.openStudio(so, cfg, ops, snap, catalog)
	if err != nil {
		return err
	}
	m.cfg, m.catalog, m.ops = cfg, catalog, ops
	if studio != nil {
		m.infoAudio = studio.ReadInfoAudio
	}
	if recs != nil {
		snap.add(recordingsFile, recs)
		ops.useKeys(recordings.Purpose, recs.UseKeys)
	}
	openCases := func() (*boltstore.Store, *casework.Service, error) { return m.openCases(kd, recs, so, snap) }
	if so.role == roleCasework {
		news, err := m.openCaseworkNews(cfg, kd, snap, ops) // before the cases publish the key fingerprints
		if err != nil {
			return err
		}
		store, cases, stop, err := runConsumer(m.jobs, so, openCases, recs, log)
		if err != nil {
			return err
		}
		m.onClose(func() error { stop(); return nil })
		news.start(m, so, cases, func() *menus.Catalog { return liveCatalog(studio, catalog) }, log)
		app := caseworkApp(so, store, log)
		staff := app
		if m.AdminAddr != "" {
			staff = newAdminApp()
		}
		if err := m.mountWeb(staff, cases, store, catalog, studio, so, log, nil); err != nil {
			return err
		}
		m.serveFn = func(ctx context.Context, ln net.Listener) error { return serveApp(ctx, app, ln) }
		if m.AdminAddr != "" {
			m.adminFn = func(ctx context.Context, ln net.Listener) error { return serveApp(ctx, staff, ln) }
		}
		return m.listen(so, cfg, catalog, snap, ops)
	}

	keyring, callBacks, err := gatewayKeys(kd, ops)
	if err != nil {
		return err
	}
	opts := gateway.Options{Config: cfg, Providers: providers, Catalog: catalog, Keyring: keyring, Logger: log, Limits: &m.Limits, TrustedProxies: m.Proxies, MetricsElsewhere: m.AdminAddr != "",
		CallBack: gateway.CallBackOptions{Sealer: callBacks}}
	var store *boltstore.Store // nil in the gateway role: no cases here
	switch {
	case so.rdb == nil: // embedded: bbolt and in-memory sessions
		var cases *casework.Service
		store, cases, err = openCases()
		if err != nil {
			return err
		}
		m.onClose(store.Close)
		mem := sessions.NewMemory()
		go mem.Run(m.jobs, time.Minute)
		opts.Cases, opts.Preferences, opts.Sessions = cases, store, mem
		opts.CallBack.Live = casework.LiveDesk{Cases: cases, Users: store}
	default: // scale-out: sessions and intake in Redis
		opts.Sessions = sessions.NewRedis(so.rdb, so.prefix)
		producer := scaleout.NewProducer(so.rdb, so.prefix)
		producer.Replicas = m.RedisReplicas
		if producer.PINs, err = m.gatewayPINs(ctx, kd, so); err != nil {
			return err
		}
		opts.Submitter = producer
		prefs := scaleout.NewPreferences(so.rdb, so.prefix) // shared by every replica
		opts.Preferences = prefs
		if producer.PINs != nil {
			// From the mirror, on any process: a case still in the queue
			// answers too, and wrong attempts count across gateways.
			opts.FollowUp = scaleout.NewFollowUps(so.rdb, so.prefix, producer.PINs)
		}
		if so.role == roleAll {
			var cases *casework.Service
			var stop func()
			store, cases, stop, err = runConsumer(m.jobs, so, openCases, recs, log)
			if err != nil {
				return err
			}
			m.onClose(func() error { stop(); return nil })
			opts.Cases = cases
			prefs.Fallback = store // languages remembered before the move to scale-out
			opts.CallBack.Live = casework.LiveDesk{Cases: cases, Users: store}
		}
		if opts.Cases == nil {
			// The casework node's approved pages, where the cases are not.
			opts.Info = scaleout.NewInfoMirror(so.rdb, so.prefix)
		}
	}
	if err := m.openChannels(ctx, &opts, kd, so, recs, snap, ops); err != nil {
		return err
	}
	srv := gateway.New(opts)
	studioLive(studio, srv)
	m.calls = srv
	m.serveFn = srv.Serve
	go srv.RunBroadcasts(m.jobs, broadcastInterval) // the information line's approved SMS news (issue 15)
	if opts.Cases != nil {
		// The MEAL web view lives where the cases are.
		staff := srv.App()
		if m.AdminAddr != "" {
			staff = newAdminApp()
			staff.Get("/metrics", srv.MetricsHandler())
			m.adminFn = func(ctx context.Context, ln net.Listener) error { return serveApp(ctx, staff, ln) }
		}
		if err := m.mountWeb(staff, opts.Cases, store, catalog, studio, so, log, srv); err != nil {
			return err
		}
	}
	return m.listen(so, cfg, catalog, snap, ops)
}

// openChannels wires SMS and voice: where the cases are, the outbox and
// the recordings are files beside them; on a gateway replica both go
// through Redis.
func (m *Main) openChannels(ctx context.Context, opts *gateway.Options, kd keystore.Dir, so scaleOut, recs *recordings.Store, snap *snapshotter, ops *opsEnv) error {
	if opts.Cases == nil && so.role != roleGateway {
		return nil
	}
	if opts.Cases != nil {
		opts.CallBack.Outcomes = opts.Cases
	}
	var err error
	if opts.SMS, err = m.openSMS(ctx, m.cfg, kd, snap, ops, so); err != nil {
		return err
	}
	if producer, ok := opts.Submitter.(*scaleout.Producer); ok && opts.Cases == nil && opts.SMS.Outbox != nil {
		// A replica has no case store: a caller's later SMS joins their
		// case (made by SMS, USSD or voice: the producer remembers each)
		// through Redis and the casework node.
		opts.SMS.Threads = scaleout.NewSMSThreads(producer)
	}
	voiceRecs, err := m.voiceRecordings(ctx, m.cfg, kd, so, recs, ops)
	if err != nil {
		return err
	}
	opts.Voice, m.listens, err = setupVoice(m.cfg, m.KeysDir, m.LocalesDir, m.DataDir, voiceRecs, m.log)
	return err
}

// startListens starts the voice channels whose provider holds the calls
// itself (SIP: the hotline answers the trunk); each call walks the
// gateway's voice engine (Server.CallStep, m.calls). They stop when the
// server closes.
func (m *Main) startListens() error {
	for _, start := range m.listens {
		stop, err := start(m.jobs, m.calls)
		if err != nil {
			return err
		}
		m.onClose(func() error { stop(); return nil })
	}
	return nil
}

// openCases opens the bbolt store and the casework domain over it, and
// starts the deadline and retention jobs. Only the process that holds the
// data (roles all and casework) calls it.
func (m *Main) openCases(kd keystore.Dir, recs *recordings.Store, so scaleOut, snap *snapshotter) (*boltstore.Store, *casework.Service, error) {
	pinKeys, sealKeys, err := caseKeys(kd)
	if err != nil {
		return nil, nil, err
	}
	store, err := boltstore.Open(filepath.Join(m.DataDir, dbFile))
	if err != nil {
		return nil, nil, err
	}
	o := casework.Options{Store: store, Config: m.cfg, PINKeys: pinKeys, SealKeys: sealKeys, Logger: m.log}
	if recs != nil {
		o.Recordings = recs
	}
	infoChanged := make(chan struct{}, 1)
	if so.rdb != nil {
		// Every change reaches the Redis mirror, so that gateway replicas
		// can answer follow-ups (status and response), and the
		// information line (issue 15).
		o.OnChange = mirrorChanges(m.jobs, scaleout.NewMirror(so.rdb, so.prefix), m.log)
		o.OnInfo = func() {
			select {
			case infoChanged <- struct{}{}:
			default: // a publication is already due
			}
		}
	}
	cases, err := casework.NewService(o)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	if so.rdb != nil {
		mirror := scaleout.NewInfoMirror(so.rdb, so.prefix)
		mirror.Audio, mirror.Log = m.infoAudio, m.log // the pages' recordings, for calls on gateway replicas
		go scaleout.RunInfoMirror(m.jobs, mirror, cases, infoChanged, infoMirrorInterval, m.log)
	}
	if so.rdb != nil {
		// Gateways compare their keys with these fingerprints before serving.
		fps, err := kd.List()
		if err == nil {
			err = scaleout.PublishKeys(m.jobs, so.rdb, so.prefix, fps)
		}
		if err != nil {
			m.log.Warn("key fingerprints not published for the gateways", "err", err)
		}
	}
	snap.add(dbFile, store)
	m.ops.store = store
	for _, purpose := range []string{casework.PINKeyPurpose, casework.SealKeyPurpose} {
		m.ops.useKeys(purpose, func(keys []keystore.Key) error { return cases.UseKeys(purpose, keys) })
	}
	m.cases = cases
	go cases.Run(m.jobs, jobInterval)
	return store, cases, nil
}

// openSMS opens the outbox and starts its send worker (stopped before
// the outbox closes), when the config has SMS channels.
func (m *Main) openSMS(ctx context.Context, cfg *config.Config, kd keystore.Dir, snap *snapshotter, ops *opsEnv, so scaleOut) (gateway.SMSOptions, error) {
	need := func(purpose string) error { return m.gatewayKey(ctx, kd, so, purpose) }
	sms, err := setupSMS(cfg, kd, m.KeysDir, m.DataDir, m.LocalesDir, m.sms, so, need, m.log)
	if err != nil {
		return gateway.SMSOptions{}, err
	}
	if sms.worker == nil {
		return sms.opts, nil
	}
	ops.useKeys(outbox.Purpose, sms.sealer.UseKeys)
	if sms.box != nil {
		m.onClose(sms.box.Close)
		snap.add(outboxFile, sms.box)
		ops.box = sms.box
		// The information line's subscribers: their own file and key
		// purpose, beside the outbox they are sent through (issue 15).
		subs, err := subscribers.Open(filepath.Join(m.DataDir, subscribersFile), kd)
		if err != nil {
			return gateway.SMSOptions{}, err
		}
		m.onClose(subs.Close)
		snap.add(subscribersFile, subs)
		ops.useKeys(subscribers.Purpose, subs.UseKeys)
		sms.opts.Subscribers = subs
		if so.rdb != nil {
			// Gateway replicas beside this process queue their changes in Redis.
			sms.opts.BeforeBroadcast = m.applySubscriptions(so, subs)
		}
	} else if so.role == roleGateway {
		subs, err := m.gatewaySubscriptions(ctx, kd, so, ops)
		if err != nil {
			return gateway.SMSOptions{}, err
		}
		sms.opts.Subscribers = subs
	}
	workerCtx, stopWorker := context.WithCancel(m.jobs)
	workerDone := make(chan struct{})
	go func() { sms.worker.Run(workerCtx); close(workerDone) }()
	// Registered after box.Close, so it runs first: the worker stops
	// before the outbox closes.
	m.onClose(func() error { stopWorker(); <-workerDone; return nil })
	return sms.opts, nil
}

// openConfig loads --config (the embedded demo when empty) and the
// locales, and checks them together.
func (m *Main) openConfig() (*config.Config, *menus.Catalog, error) {
	var cfg *config.Config
	var err error
	if m.ConfigPath == "" {
		cfg, err = config.Demo()
		m.log.Warn("no --config given: using the embedded DEMO configuration (channel demo-at); do not use it in production")
	} else {
		cfg, err = config.Load(m.ConfigPath)
	}
	if err != nil {
		return nil, nil, err
	}
	catalog, err := loadCatalog(m.LocalesDir)
	if err != nil {
		return nil, nil, err
	}
	if err := checkDeployment(cfg, catalog); err != nil {
		return nil, nil, err
	}
	if catalog, err = withLocalities(catalog, cfg); err != nil {
		return nil, nil, err
	}
	if err := refuseDemoOutsideLoopback(cfg, m.Addr, m.AdminAddr); err != nil {
		return nil, nil, err
	}
	return cfg, catalog, nil
}

// checkDeployment is what serve, reload and `config check` check beyond
// the config file itself: every channel's provider and its fields, and
// every P-code against the catalogue, the one reading of places.csv, and
// every category the menu offers against the codebook.
func checkDeployment(cfg *config.Config, catalog *menus.Catalog) error {
	if err := providers.Check(cfg); err != nil {
		return err
	}
	return errors.Join(cfg.CheckPlaces(catalog.PlaceCodes()), cfg.CheckCategories(catalog.Choices("category")))
}

// withLocalities adds the deployment's communes and sites to the menus
// (the question below the cercle). They change at the next start, like
// the locales.
func withLocalities(catalog *menus.Catalog, cfg *config.Config) (*menus.Catalog, error) {
	ls := make([]menus.Place, 0, len(cfg.Localities))
	for _, l := range cfg.Localities {
		ls = append(ls, menus.Place{Code: l.Code, Name: l.Name, Level: 3, Parent: l.Cercle})
	}
	out, err := catalog.WithLocalities(ls)
	if err != nil {
		return nil, fmt.Errorf("%s: localities: %w", cfg.Source, err)
	}
	if out, err = out.WithVoiceCercles(deploymentCercles(cfg, out)); err != nil {
		return nil, fmt.Errorf("%s: voice cercles: %w", cfg.Source, err)
	}
	return out, nil
}

// deploymentCercles are the cercles the deployment works in, in config
// order: those its programmes and teams name, and those holding its
// localities. A call offers them first on the region question.
func deploymentCercles(cfg *config.Config, catalog *menus.Catalog) []string {
	cercle := map[string]bool{}
	for _, p := range catalog.Places() {
		cercle[p.Code] = p.Level == 2
	}
	var out []string
	add := func(codes ...string) {
		for _, c := range codes {
			if cercle[c] && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	for _, p := range cfg.Programmes {
		add(p.Places...)
	}
	for _, t := range cfg.Teams {
		add(t.Places...)
	}
	for _, l := range cfg.Localities {
		add(l.Cercle)
	}
	return out
}

// referralDirectory is the config's referral directory as the menus read
// it, from the running configuration (a SIGHUP reload shows at the next
// end screen).
func referralDirectory(live func() *config.Config) menus.Directory {
	return func(region, cercle, lang string) []menus.Service {
		refs := live().ReferralsFor(region, cercle)
		out := make([]menus.Service, 0, len(refs))
		for _, r := range refs {
			out = append(out, menus.Service{Name: r.Text(r.Name, lang), Offers: r.Text(r.Offers, lang), Reach: r.Text(r.Reach, lang)})
		}
		return out
	}
}

// listen opens the callback listener, the --admin-addr listener and the
// admin socket (where the data is).
func (m *Main) listen(so scaleOut, cfg *config.Config, catalog *menus.Catalog, snap *snapshotter, ops *opsEnv) error {
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.ln = ln
	m.onClose(func() error { ln.Close(); return nil })
	if err := m.startListens(); err != nil {
		return err
	}
	if m.adminFn != nil {
		a, err := net.Listen("tcp", m.AdminAddr)
		if err != nil {
			return fmt.Errorf("listen --admin-addr: %w", err)
		}
		m.admin = a
		m.onClose(func() error { a.Close(); return nil })
		m.log.Info("staff side listening", "admin_addr", a.Addr().String())
	}
	if so.role != roleGateway {
		sock, err := listenAdminSocket(m.DataDir, snap, ops, m.log)
		if err != nil {
			return err
		}
		m.sock = sock
		m.onClose(sock.Close)
	}
	attrs := []any{"addr", ln.Addr().String(), "role", so.role, "redis", so.rdb != nil, "config", cfg.Source, "data", m.DataDir}
	if catalog != nil {
		attrs = append(attrs, "languages", catalog.Languages())
	}
	m.log.Info("hotline listening", attrs...)
	return nil
}

// Run serves the callbacks (and the staff listener and admin socket) until
// ctx ends, then lets in-flight requests finish.
func (m *Main) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	n := 1
	go func() { errc <- m.serveFn(ctx, m.ln) }()
	if m.admin != nil {
		n++
		go func() { errc <- m.adminFn(ctx, m.admin) }()
	}
	if m.sock != nil {
		n++
		go func() { errc <- m.sock.Serve(ctx) }()
	}
	// kill -HUP (systemctl reload) reloads the config.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := m.Reload(); err != nil {
					m.log.Error("config reload refused; the running config stays", "err", err)
				}
			}
		}
	}()
	var errs []error
	for range n {
		if err := <-errc; err != nil {
			errs = append(errs, err)
			cancel() // one listener failed: stop the others
		}
	}
	if len(errs) == 0 {
		m.log.Info("hotline stopped")
	}
	return errors.Join(errs...)
}

// refuseDemoOutsideLoopback refuses a config holding the demo's published
// credentials (demo: secrets) on any address other than loopback: anyone
// could forge that deployment's signed callbacks.
func refuseDemoOutsideLoopback(cfg *config.Config, addrs ...string) error {
	if !cfg.UsesDemoSecrets() {
		return nil
	}
	for _, a := range addrs {
		if a == "" {
			continue
		}
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return fmt.Errorf("address %q: %w", a, err)
		}
		ip, err := netip.ParseAddr(host)
		if host == "localhost" || (err == nil && ip.IsLoopback()) {
			continue
		}
		return fmt.Errorf("config %s holds the demo's published credentials (demo: secrets): refused on %s, which is not loopback; put real credentials in env: or file: secrets (see config/example.yaml)", cfg.Source, a)
	}
	return nil
}

func localesFS(dir string) fs.FS {
	if dir == "" {
		return locales.FS
	}
	return os.DirFS(dir)
}

// openRecordings opens the voice messages' store where the cases are
// (nil on a gateway replica).
func (m *Main) openRecordings(so scaleOut, kd keystore.Dir) (*recordings.Store, error) {
	if so.role == roleGateway {
		return nil, nil
	}
	recs, _, err := recordings.Open(filepath.Join(m.DataDir, recordingsFile), kd)
	if err != nil {
		return nil, err
	}
	m.onClose(recs.Close)
	return recs, nil
}

// openStudio opens the language studio's overlay (DATA/studio.db) over
// the locales, where the data is (nil on a gateway replica); each
// catalogue it builds gets the deployment's localities and referral
// directory, like the one loaded at start. Backups carry its file.
func (m *Main) openStudio(so scaleOut, cfg *config.Config, ops *opsEnv, snap *snapshotter, shipped *menus.Catalog) (*overlay.Store, *menus.Catalog, error) {
	if so.role == roleGateway {
		return nil, shipped, nil
	}
	st, err := overlay.Open(overlay.Options{DataDir: m.DataDir, Base: localesFS(m.LocalesDir), ShippedAudio: audioFS(m.LocalesDir), Logger: m.log,
		Build: func(c *menus.Catalog) (*menus.Catalog, error) {
			c, err := withLocalities(c, cfg)
			if err != nil {
				return nil, err
			}
			return c.WithServices(referralDirectory(ops.cfg.Load)), nil
		}})
	if err != nil {
		return nil, nil, err
	}
	m.onClose(st.Close)
	snap.add(overlay.File, st)
	return st, st.Catalog(), nil
}

// studioLive hands the gateway every catalogue and recording the studio
// makes, for the next session.
func studioLive(st *overlay.Store, srv *gateway.Server) {
	if st != nil {
		st.OnChange(srv.SetCatalog)
		st.OnAudio(srv.RefreshAudio)
		srv.UseStudio(st) // staff record prompts by phone (voice.staff)
	}
}

func loadCatalog(dir string) (*menus.Catalog, error) {
	c, err := menus.Load(localesFS(dir))
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	return c, nil
}

// caseKeys loads the PIN-hash and contact-seal secrets from the keys
// directory (openKeys has made sure they exist).
func caseKeys(kd keystore.Dir) (pins, seals []keystore.Key, err error) {
	if pins, _, err = kd.Keys(casework.PINKeyPurpose); err != nil {
		return nil, nil, err
	}
	if seals, _, err = kd.Keys(casework.SealKeyPurpose); err != nil {
		return nil, nil, err
	}
	return pins, seals, nil
}

// sessionsFile keeps the web view's signed-in sessions (hashed ids) in the
// embedded mode; it is not backed up: a restore signs everyone out.
const sessionsFile = "sessions.db"

// mountWeb adds the MEAL web view under /meal/ on the gateway's app. Its
// sessions live in DATA/sessions.db, or in Redis when there is one, so
// that replicas share them; either way they survive a restart.
func (m *Main) mountWeb(app *fiber.App, cases *casework.Service, users casework.UserStore, catalog *menus.Catalog, studio *overlay.Store, so scaleOut, log *slog.Logger, calls web.CallBacker) error {
	var storage fiber.Storage
	if so.rdb != nil {
		storage = fiberredis.NewFromConnection(so.rdb) // closed with so.rdb
	} else {
		b, err := webstore.OpenBolt(filepath.Join(m.DataDir, sessionsFile))
		if err != nil {
			return err
		}
		m.onClose(b.Close)
		storage = b
	}
	o := web.Options{Cases: cases, Users: users, Catalog: catalog, Logger: log,
		TrustedProxies: m.Proxies, Sessions: storage, SessionPrefix: so.prefix + "web:session:"}
	if calls != nil { // a nil *gateway.Server in the interface would not be nil
		o.CallBacks = calls
	}
	if studio != nil {
		o.Studio = studio
	}
	w, err := web.New(o)
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
