package gateway

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
)

// flakyStore fails to create cases while down is set, like a full disk.
type flakyStore struct {
	casework.Store
	down atomic.Bool
}

func (f *flakyStore) Create(ctx context.Context, key string, c casework.Case, events []casework.Event) (casework.Case, bool, error) {
	if f.down.Load() {
		return casework.Case{}, false, errors.New("disk full")
	}
	return f.Store.Create(ctx, key, c, events)
}

// When the store cannot save, the caller is told so in their language and
// is never shown a reference; the session stays on the confirmation, so
// AT's retry of the same hop saves the complaint once the store is back.
func TestSubmitFailureShowsNoReference(t *testing.T) {
	store := &flakyStore{Store: memstore.New()}
	ts := newTestServerWith(t, &Limits{}, store)
	// Français (second by demand), left out, Mopti, Ténenkou, food, no detail: the confirmation.
	for _, text := range []string{"", "2", "2*1", "2*1*2", "2*1*2*5", "2*1*2*5*7", "2*1*2*5*7*2", "2*1*2*5*7*2*1"} {
		if code, body := ts.hop(t, testChannel, "s1", testPhone, text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q: %d %q", text, code, body)
		}
	}
	store.down.Store(true)
	code, body := ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1")
	if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, "Rien n'est enregistré") {
		t.Fatalf("failed save: %d %q", code, body)
	}
	if n := caseCount(t, store); n != 0 {
		t.Fatalf("%d cases stored while the store was down", n)
	}
	if logs := ts.logs.String(); strings.Contains(logs, "76000042") || !strings.Contains(logs, "disk full") {
		t.Errorf("log should name the cause and never the number:\n%s", logs)
	}

	store.down.Store(false)
	code, body = ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1")
	if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, "Référence") {
		t.Fatalf("retry after recovery: %d %q", code, body)
	}
	var stored []casework.Case
	store.Each(context.Background(), func(c casework.Case) error { stored = append(stored, c); return nil })
	if len(stored) != 1 || stored[0].Cercle != "ML0507" {
		t.Fatalf("after retry: %+v", stored)
	}
}
