package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
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

func newServer(t *testing.T, store casework.Store, logs io.Writer) *gateway.Server {
	t.Helper()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	secret := keystore.Key{Version: "k1", Secret: bytes.Repeat([]byte{9}, 32)}
	svc, err := casework.NewService(casework.Options{
		Store: store, Config: cfg,
		PINKeys: []keystore.Key{secret}, SealKeys: []keystore.Key{secret},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return gateway.New(gateway.Options{
		Config:   cfg,
		Catalog:  cat,
		Cases:    svc,
		Sessions: sessions.NewMemory(),
		Keyring:  callerid.New(bytes.Repeat([]byte{7}, 32)),
		Logger:   slog.New(slog.NewTextHandler(logs, nil)),
	})
}

func hop(t *testing.T, srv *gateway.Server, session, text string) (int, string) {
	t.Helper()
	form := url.Values{"sessionId": {session}, "phoneNumber": {"+22376000009"}, "serviceCode": {"*384*1234#"}, "networkCode": {"99999"}, "text": {text}}
	req := httptest.NewRequest("POST", "/c/demo-at/ussd", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := srv.App().Test(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// When the store cannot save, the caller is told so in their language and
// is never shown a reference; the session stays on the confirmation, so
// AT's retry of the same hop saves the complaint once the store is back.
func TestSubmitFailureShowsNoReference(t *testing.T) {
	store := &flakyStore{Store: memstore.New()}
	var logs bytes.Buffer
	srv := newServer(t, store, &logs)
	path := []string{"", "1", "1*1", "1*1*5", "1*1*5*7", "1*1*5*7*2", "1*1*5*7*2*1"}
	for _, text := range path {
		if code, body := hop(t, srv, "s1", text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q: %d %q", text, code, body)
		}
	}
	store.down.Store(true)
	code, body := hop(t, srv, "s1", "1*1*5*7*2*1*1")
	if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, "Rien n'est enregistré") {
		t.Fatalf("failed save: %d %q", code, body)
	}
	var n int
	store.Each(context.Background(), func(casework.Case) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d cases stored while the store was down", n)
	}
	if strings.Contains(logs.String(), "22376000009") || !strings.Contains(logs.String(), "disk full") {
		t.Errorf("log should name the cause and never the number:\n%s", logs.String())
	}

	store.down.Store(false)
	code, body = hop(t, srv, "s1", "1*1*5*7*2*1*1")
	if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, "Référence") {
		t.Fatalf("retry after recovery: %d %q", code, body)
	}
	list, err := store.ByCallerKey(context.Background(), callerid.New(bytes.Repeat([]byte{7}, 32)).Key("+22376000009", "ML"))
	if err != nil || len(list) != 1 || list[0].Cercle != "ML0507" {
		t.Fatalf("after retry: %+v, %v", list, err)
	}
}
