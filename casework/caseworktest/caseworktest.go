// Package caseworktest builds a casework.Service for the tests of other
// packages: the demo configuration and fixed, obviously fake keys.
//
// It is for tests only; nothing here may be used by the server.
package caseworktest

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/keystore"
)

// Service is the casework domain over store, routed by the demo config,
// logging to logs (discarded when nil).
func Service(t testing.TB, store casework.Store, logs io.Writer) *casework.Service {
	t.Helper()
	return ServiceWith(t, store, func(o *casework.Options) {
		if logs != nil {
			o.Logger = slog.New(slog.NewTextHandler(logs, nil))
		}
	})
}

// ServiceWith is Service with options changed by change before it is built.
func ServiceWith(t testing.TB, store casework.Store, change func(*casework.Options)) *casework.Service {
	t.Helper()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	o := casework.Options{
		Store: store, Config: cfg,
		PINKeys: Keys(), SealKeys: Keys(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	change(&o)
	svc, err := casework.NewService(o)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// Keys are the fixed test keys the Service uses for PINs and seals, for a
// test's own casework.PINs (a gateway's, in scaleout).
func Keys() []keystore.Key {
	return []keystore.Key{{Version: "k1", Secret: bytes.Repeat([]byte{9}, keystore.Size)}}
}
