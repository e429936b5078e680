package recordings_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/recordings"
)

func key(v string, b byte) keystore.Key {
	return keystore.Key{Version: v, Secret: bytes.Repeat([]byte{b}, 32)}
}

func TestSealedAtRestAndRotation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recordings.db")
	wav := append([]byte("RIFF....WAVEfmt "), bytes.Repeat([]byte("caller's own voice "), 200)...)

	s, err := recordings.OpenWithKeys(path, []keystore.Key{key("k1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "rec1", wav); err != nil {
		t.Fatal(err)
	}
	// A retried step keeps the first recording.
	if err := s.Put(ctx, "rec1", []byte("RIFF other")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "rec1")
	if err != nil || !bytes.Equal(got, wav) {
		t.Fatalf("get = %d bytes, %v; want the first recording", len(got), err)
	}
	s.Close()

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("caller's own voice")) || bytes.Contains(raw, []byte("RIFF")) {
		t.Fatal("the recordings file holds the recording in clear")
	}

	// A newer key still opens what the older one sealed; without the old
	// key the recording is gone for good.
	s, err = recordings.OpenWithKeys(path, []keystore.Key{key("k1", 1), key("k2", 2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "rec1"); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	s.Close()
	s, err = recordings.OpenWithKeys(path, []keystore.Key{key("k2", 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Get(ctx, "rec1"); !errors.Is(err, recordings.ErrUnreadable) {
		t.Fatalf("without its key: err = %v, want ErrUnreadable", err)
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, recordings.ErrNotFound) {
		t.Fatalf("unknown id: err = %v", err)
	}
}

// UseKeys while open: new recordings are sealed with the new current
// version, older ones open with theirs; a ring without the old version
// no longer opens what it sealed (crypto-shredding still works).
func TestUseKeysRotatesWhileOpen(t *testing.T) {
	k := key
	s, err := recordings.OpenWithKeys(filepath.Join(t.TempDir(), "r.db"), []keystore.Key{k("k1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Put(ctx, "old", []byte("before")); err != nil {
		t.Fatal(err)
	}
	if err := s.UseKeys([]keystore.Key{k("k1", 1), k("k2", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "new", []byte("after")); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"old": "before", "new": "after"} {
		if got, err := s.Get(ctx, id); err != nil || string(got) != want {
			t.Errorf("Get(%s) = %q, %v", id, got, err)
		}
	}
	if err := s.UseKeys([]keystore.Key{k("k2", 2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "old"); err == nil {
		t.Error("a recording sealed with k1 opened without k1")
	}
	if got, err := s.Get(ctx, "new"); err != nil || string(got) != "after" {
		t.Errorf("the k2 recording: %q, %v", got, err)
	}
	if err := s.UseKeys(nil); err == nil {
		t.Error("UseKeys with no key accepted")
	}
}
