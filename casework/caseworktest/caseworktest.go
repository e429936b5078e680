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
	if logs == nil {
		logs = io.Discard
	}
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	key := keystore.Key{Version: "k1", Secret: bytes.Repeat([]byte{9}, keystore.Size)}
	svc, err := casework.NewService(casework.Options{
		Store: store, Config: cfg,
		PINKeys: []keystore.Key{key}, SealKeys: []keystore.Key{key},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
