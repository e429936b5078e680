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
)

// dbFile is the bbolt file inside the data directory.
const dbFile = "hotline.db"

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

	kd, created, err := keystore.Open(*keysDir)
	if err != nil {
		return err
	}
	if created {
		log.Info("created keys directory (mode 0700)", "path", *keysDir)
	}
	keyring, created, err := callerid.Load(kd)
	if err != nil {
		return err
	}
	if created {
		log.Info("created caller-key secret callerid-k1.key (mode 0600); keep it out of backups of the data directory", "path", *keysDir)
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

	catalog, err := loadCatalog(*localesDir)
	if err != nil {
		return err
	}
	if err := checkPlaces(cfg, *localesDir); err != nil {
		return err
	}
	pinKeys, sealKeys, err := caseKeys(kd, log)
	if err != nil {
		return err
	}

	store, err := boltstore.Open(filepath.Join(*dataDir, dbFile))
	if err != nil {
		return err
	}
	defer store.Close()

	cases, err := casework.NewService(casework.Options{
		Store: store, Config: cfg, PINKeys: pinKeys, SealKeys: sealKeys, Logger: log,
	})
	if err != nil {
		return err
	}
	go cases.Run(ctx, jobInterval)

	mem := sessions.NewMemory()
	go mem.Run(ctx, time.Minute)

	srv := gateway.New(gateway.Options{
		Config:   cfg,
		Catalog:  catalog,
		Cases:    cases,
		Sessions: mem,
		Keyring:  keyring,
		Logger:   log,
	})
	if err := mountWeb(srv.App(), cases, store, cfg, *localesDir, proxies, log); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("hotline listening", "addr", ln.Addr().String(), "config", cfg.Source, "data", *dataDir, "languages", catalog.Languages())
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
