package keystore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/keystore"
)

var purposes = []string{"callerid", "pin"}

func openDir(t *testing.T) keystore.Dir {
	t.Helper()
	d, _, err := keystore.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBindCreatesOnlyWithInitOnEmptyData(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	d := openDir(t)
	if _, err := keystore.Bind(data, d, purposes, false); !errors.Is(err, keystore.ErrMismatch) || !strings.Contains(err.Error(), "--init-keys") {
		t.Fatalf("empty data without --init-keys: %v", err)
	}
	if l, _ := d.List(); len(l) != 0 {
		t.Fatalf("keys created without --init-keys: %v", l)
	}
	created, err := keystore.Bind(data, d, purposes, true)
	if err != nil || len(created) != 2 {
		t.Fatalf("init: created %v, %v", created, err)
	}
	b, ok, err := keystore.ReadBinding(data)
	if err != nil || !ok || len(b.Keys) != 2 {
		t.Fatalf("binding %+v %v %v", b, ok, err)
	}
	// The binding holds fingerprints, never the keys.
	raw, _ := os.ReadFile(filepath.Join(data, keystore.BindingFile))
	for _, p := range purposes {
		secret, _ := d.Read(p, "k1")
		if strings.Contains(string(raw), string(secret)) {
			t.Errorf("%s key bytes in the binding", p)
		}
	}
	// Data now exists: --init-keys creates nothing more, the same keys start.
	if created, err := keystore.Bind(data, d, purposes, true); err != nil || len(created) != 0 {
		t.Fatalf("second start: %v %v", created, err)
	}
}

func TestBindRefusesOtherKeysNamingThem(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, err := keystore.Bind(data, openDir(t), purposes, true); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(data, keystore.BindingFile))
	other := openDir(t)
	for _, init := range []bool{false, true} {
		_, err := keystore.Bind(data, other, purposes, init)
		if !errors.Is(err, keystore.ErrMismatch) || !strings.Contains(err.Error(), "callerid-k1 (absent)") || !strings.Contains(err.Error(), "pin-k1 (absent)") {
			t.Fatalf("empty keys dir for existing data (init %v): %v", init, err)
		}
	}
	if l, _ := other.List(); len(l) != 0 {
		t.Errorf("keys created in the wrong directory: %v", l)
	}
	// Another deployment's keys, same names: refused as different keys.
	if _, err := keystore.Bind(filepath.Join(t.TempDir(), "d2"), other, purposes, true); err != nil {
		t.Fatal(err)
	}
	_, err := keystore.Bind(data, other, purposes, false)
	if !errors.Is(err, keystore.ErrMismatch) || !strings.Contains(err.Error(), "callerid-k1 (a different key)") {
		t.Fatalf("another deployment's keys: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(data, keystore.BindingFile))
	if string(before) != string(after) {
		t.Error("a refused start rewrote the binding")
	}
}

func TestBindRecordsRotation(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	d := openDir(t)
	if _, err := keystore.Bind(data, d, purposes, true); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Rotate("pin"); err != nil {
		t.Fatal(err)
	}
	if _, err := keystore.Bind(data, d, purposes, false); err != nil {
		t.Fatal(err)
	}
	b, _, _ := keystore.ReadBinding(data)
	if len(b.Keys) != 3 || b.Keys[2].Name != "pin-k2" {
		t.Fatalf("rotation not recorded: %+v", b)
	}
}
