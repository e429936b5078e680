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
