package scaleout_test

import (
	"context"
	"testing"

	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/casework/storetest"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/scaleout"
)

func TestPreferencesContract(t *testing.T) {
	rdb := redistest.Client(t)
	storetest.RunPreferences(t, func(t *testing.T) storetest.PreferencesStore {
		return scaleout.NewPreferences(rdb, redistest.Prefix(t, rdb))
	})
}

// TestPreferencesSharedAndFallback: a language remembered through one
// replica is found by another, and a caller Redis does not know is answered
// by the fallback (the bbolt file of a node that was embedded before).
func TestPreferencesSharedAndFallback(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	a, b := scaleout.NewPreferences(rdb, prefix), scaleout.NewPreferences(rdb, prefix)
	if err := a.SetLanguage(ctx, "k1:aaaa", "ses"); err != nil {
		t.Fatal(err)
	}
	if lang, ok, err := b.Language(ctx, "k1:aaaa"); err != nil || !ok || lang != "ses" {
		t.Fatalf("other replica: %q, %v, %v; want ses", lang, ok, err)
	}

	old := memstore.New()
	if err := old.SetLanguage(ctx, "k1:bbbb", "taq"); err != nil {
		t.Fatal(err)
	}
	b.Fallback = old
	if lang, ok, err := b.Language(ctx, "k1:bbbb"); err != nil || !ok || lang != "taq" {
		t.Fatalf("fallback: %q, %v, %v; want taq", lang, ok, err)
	}
	if err := b.SetLanguage(ctx, "k1:bbbb", "ff"); err != nil {
		t.Fatal(err)
	}
	if lang, _, _ := b.Language(ctx, "k1:bbbb"); lang != "ff" {
		t.Fatalf("after SetLanguage: %q; want ff (Redis before the fallback)", lang)
	}
	if lang, ok, _ := a.Language(ctx, "k1:nobody"); ok || lang != "" {
		t.Fatalf("unknown caller without fallback: %q, %v", lang, ok)
	}
}
