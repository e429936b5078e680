package subscribers_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/subscribers"
)

func key(v string, b byte) keystore.Key {
	return keystore.Key{Version: v, Secret: bytes.Repeat([]byte{b}, keystore.Size)}
}

func everyone(subscribers.Subscriber) bool { return true }

// A number is kept sealed, found again by its index, replaced by a later
// subscription, still found after a key rotation, and gone on STOP: the
// file holds no form of it, and no record stays behind.
func TestSubscribeRotateUnsubscribe(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "subscribers.db")
	s, err := subscribers.OpenWithKeys(path, []keystore.Key{key("k1", 7)})
	if err != nil {
		t.Fatal(err)
	}
	const a, b = "+22376000091", "+22376000092"
	for _, sub := range []struct{ n, lang, region, cercle string }{{a, "fr", "ML05", "ML0501"}, {b, "bm", "ML05", "ML0507"}, {a, "ff", "ML05", "ML0507"}} {
		if err := s.Subscribe(ctx, sub.n, sub.lang, sub.region, sub.cercle, "demo-at"); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	if _, err := s.Each(ctx, func(x subscribers.Subscriber) bool { return x.Cercle == "ML0507" }, func(x subscribers.Subscriber, n string) error {
		got[n] = x.Lang
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[a] != "ff" || got[b] != "bm" {
		t.Errorf("Tenenkou subscribers = %v; want a (ff, resubscribed) and b (bm)", got)
	}
	if err := s.UseKeys([]keystore.Key{key("k1", 7), key("k2", 8)}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Subscribed(ctx, b); !ok {
		t.Error("after rotation, a k1 subscription is not found")
	}
	if removed, err := s.Unsubscribe(ctx, b); err != nil || !removed {
		t.Fatalf("Unsubscribe = %v, %v", removed, err)
	}
	if removed, _ := s.Unsubscribe(ctx, b); removed {
		t.Error("a second STOP removed something")
	}
	if n, _ := s.Count(ctx, everyone); n != 1 {
		t.Errorf("%d subscribers left; want 1", n)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{"22376000091", "76000091", "22376000092", "76000092"} {
		if bytes.Contains(raw, []byte(form)) {
			t.Errorf("subscribers.db holds %q in clear", form)
		}
	}
}

// Without the key version that sealed them, subscriptions cannot be read
// (crypto-shredding), and they are counted, not sent to.
func TestDestroyedKeyShreds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "subscribers.db")
	s, err := subscribers.OpenWithKeys(path, []keystore.Key{key("k1", 7)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, "+22376000093", "fr", "ML05", "", "demo-at"); err != nil {
		t.Fatal(err)
	}
	if err := s.UseKeys([]keystore.Key{key("k2", 9)}); err != nil {
		t.Fatal(err)
	}
	unreadable, err := s.Each(ctx, everyone, func(subscribers.Subscriber, string) error {
		t.Error("opened a number without its key")
		return nil
	})
	if err != nil || unreadable != 1 {
		t.Errorf("Each = %d unreadable, %v; want 1", unreadable, err)
	}
	s.Close()
}
