package boltstore

import (
	"context"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// lastTx is the id of the last committed transaction: a read sees it.
func lastTx(t *testing.T, s *Store) int {
	t.Helper()
	var id int
	if err := s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestUnchangedLanguageCommitsNothing(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const key = "k1:test-caller"
	if err := s.SetLanguage(ctx, key, "bm"); err != nil {
		t.Fatal(err)
	}
	first := lastTx(t, s)
	if err := s.SetLanguage(ctx, key, "bm"); err != nil {
		t.Fatal(err)
	}
	if got := lastTx(t, s); got != first {
		t.Errorf("setting the same language again committed (tx %d → %d)", first, got)
	}
	if err := s.SetLanguage(ctx, key, "fr"); err != nil {
		t.Fatal(err)
	}
	if got := lastTx(t, s); got == first {
		t.Error("a changed language was not committed")
	}
	if lang, _, _ := s.Language(ctx, key); lang != "fr" {
		t.Errorf("language %q, want fr", lang)
	}
}
