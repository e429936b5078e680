package casework_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/keystore"
)

func (r fakeRecordings) Put(_ context.Context, id string, data []byte) error {
	r[id] = bytes.Clone(data)
	return nil
}

// The team's spoken answer is stored beside the voice messages, audited,
// replaced by a second one, given to a follow-up only once the case is
// answered, and deleted at retention.
func TestSpokenAnswer(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	recs := fakeRecordings{}
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	svc, err := casework.NewService(casework.Options{Store: memstore.New(), Config: cfg, Recordings: recs,
		PINKeys: []keystore.Key{key(1)}, SealKeys: []keystore.Key{key(2)}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: svc, clock: clk}
	who := casework.Actor{ID: "o", Team: "meal-mopti"}
	r := f.submit(t, f.intake("k1:a", "exclusion", "ML05", "ML0501", "food"))
	id := r.Case.ID
	if _, err := svc.SpeakAnswer(ctx, who, id, []byte("RIFF-1")); err == nil {
		t.Error("a spoken answer before the case is in progress")
	}
	if _, err := svc.Assign(ctx, who, id, "o"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Start(ctx, who, id); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SpeakAnswer(ctx, casework.Actor{ID: "x", Team: "meal-north"}, id, []byte("RIFF-0")); err == nil {
		t.Error("another team recorded an answer")
	}
	if _, err := svc.SpeakAnswer(ctx, who, id, []byte("RIFF-1")); err != nil {
		t.Fatal(err)
	}
	c, err := svc.SpeakAnswer(ctx, who, id, []byte("RIFF-2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !bytes.Equal(recs[c.SpokenAnswer], []byte("RIFF-2")) {
		t.Errorf("store holds %d recordings; want only the second answer", len(recs))
	}
	if a, err := svc.FollowUp(ctx, []string{"k1:a"}, r.Case.Reference, r.PIN); err != nil || a.Spoken != "" {
		t.Errorf("follow-up before the answer: %+v, %v; want no spoken answer yet", a, err)
	}
	if _, err := svc.Resolve(ctx, who, id, map[string]string{"fr": "Ajouté."}); err != nil {
		t.Fatal(err)
	}
	if a, err := svc.FollowUp(ctx, []string{"k1:a"}, r.Case.Reference, r.PIN); err != nil || a.Spoken != c.SpokenAnswer {
		t.Errorf("follow-up after the answer: %+v, %v; want the spoken answer", a, err)
	}
	ev, err := svc.Audit(ctx, who, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ev {
		if e.Action == casework.ActionSpoken && e.Actor == "o" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d spoken answers audited, want 2", n)
	}
	if _, err := svc.Close(ctx, who, id); err != nil {
		t.Fatal(err)
	}
	clk.Advance(config.DefaultRetention)
	if _, err := svc.Purge(ctx); err != nil || len(recs) != 0 {
		t.Errorf("after retention %d recordings remain (%v)", len(recs), err)
	}
}
