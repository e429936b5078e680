package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/scaleout"
)

// dbFile is the bbolt file inside the data directory.
const dbFile = "hotline.db"

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fl := newFlags("serve", stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "address to listen on")
	dataDir := fl.String("data", "./data", "data directory (bbolt file)")
	keysDir := fl.String("keys", "./keys", "secret keys directory; keep it out of backups of --data")
	cfgPath := fl.String("config", "", "deployment config (YAML); the embedded demo when empty")
	localesDir := fl.String("locales", "", "locales directory; the embedded copy when empty")
	role := fl.String("role", roleAll, "all (one process), gateway (stateless, needs --redis) or casework (consumes from --redis into --data)")
	redisURL := fl.String("redis", "", "Redis URL (redis://host:6379/0) for sessions and intake; none: embedded, no Redis")
	redisPrefix := fl.String("redis-prefix", scaleout.DefaultPrefix, "prefix of every Redis key, to share one Redis between deployments")
	consumer := fl.String("consumer", "casework", "consumer name of the casework node in the intake group; keep it stable across restarts")
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
	if so.role == roleCasework {
		return serveCasework(ctx, so, *addr, *dataDir, log)
	}

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

	opts := gateway.Options{Config: cfg, Catalog: catalog, Keyring: keyring, Logger: log}
	switch {
	case so.rdb == nil: // embedded: bbolt and in-memory sessions
		store, err := boltstore.Open(filepath.Join(*dataDir, dbFile))
		if err != nil {
			return err
		}
		defer store.Close()
		mem := sessions.NewMemory()
		go mem.Run(ctx, time.Minute)
		opts.Cases, opts.Sessions = store, mem
	default: // scale-out: sessions and intake in Redis
		opts.Sessions = sessions.NewRedis(so.rdb, so.prefix)
		opts.Submitter = scaleout.NewProducer(so.rdb, so.prefix)
		if so.role == roleAll {
			store, stop, err := runConsumer(ctx, so, *dataDir, log)
			if err != nil {
				return err
			}
			defer stop()
			opts.Cases = store
		}
	}
	srv := gateway.New(opts)
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
