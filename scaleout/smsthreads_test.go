package scaleout_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/casework/storetest"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/scaleout"
)

func smsIntake(callerKey string, n int, text string) casework.Intake {
	in := storetest.Intake(callerKey, n)
	in.Medium, in.Category, in.Region, in.Cercle, in.Assistance, in.Detail = "sms", "uncoded", "", "", "", text
	return in
}

// TestSMSThreadsJoinAndFallBack: a later message joins the case its caller's
// first message made (even while that one still waits in the stream), a
// repeat joins once, another caller starts no thread, and a message queued
// for a case that casework closed meanwhile becomes a case of its own:
// nothing a caller wrote is lost.
func TestSMSThreadsJoinAndFallBack(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	th := scaleout.NewSMSThreads(scaleout.NewProducer(rdb, prefix))
	store := memstore.New()

	first, err := th.Submit(ctx, smsIntake("k1:aaaa", 1, "pas reçu"))
	if err != nil {
		t.Fatal(err)
	}
	ref := first.Case.Reference
	for range 2 { // the provider's retry joins once
		c, joined, err := th.Join(ctx, smsIntake("k1:aaaa", 2, "ni mon voisin"), 24*time.Hour)
		if err != nil || !joined || c.Reference != ref {
			t.Fatalf("Join = %+v, %v, %v; want joined to %s", c, joined, err, ref)
		}
	}
	if _, joined, err := th.Join(ctx, smsIntake("k1:bbbb", 3, "autre"), 24*time.Hour); err != nil || joined {
		t.Fatalf("another caller joined a thread: %v, %v", joined, err)
	}
	if _, joined, _ := th.Join(ctx, smsIntake("k1:aaaa", 4, "trop tard"), time.Nanosecond); joined {
		t.Fatal("a message past the window joined")
	}

	runConsumer(t, scaleout.NewConsumer(rdb, prefix, caseworktest.Service(t, store, nil), "casework-1", quiet))
	eventually(t, "the joined case", func() bool {
		c, err := store.ByReference(ctx, ref)
		return err == nil && c.Detail == "pas reçu"+casework.MessageSeparator+"ni mon voisin"
	})

	// Casework closes the case; the mirror has not caught up (no OnChange
	// here), so the gateway still queues a join; casework keeps the text.
	c, _ := store.ByReference(ctx, ref)
	if _, err := store.Update(ctx, c.ID, func(c *casework.Case) ([]casework.Event, error) {
		c.Status = casework.StatusClosed
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, joined, err := th.Join(ctx, smsIntake("k1:aaaa", 5, "encore une chose"), 24*time.Hour); err != nil || !joined {
		t.Fatalf("Join on a stale mirror = %v, %v", joined, err)
	}
	eventually(t, "the late message stored as a case of its own", func() bool {
		list, _ := store.ByCallerKey(ctx, "k1:aaaa")
		return len(list) == 2 && list[1].Detail == "encore une chose" && list[1].Reference != ref
	})
	if c, _ := store.ByReference(ctx, ref); c.Detail != "pas reçu"+casework.MessageSeparator+"ni mon voisin" {
		t.Errorf("closed case changed: %q", c.Detail)
	}
	// Once the mirror says closed, the gateway joins nothing.
	if err := scaleout.NewMirror(rdb, prefix).Publish(ctx, ref, scaleout.PublicStatus{Status: casework.StatusClosed}); err != nil {
		t.Fatal(err)
	}
	if _, joined, err := th.Join(ctx, smsIntake("k1:aaaa", 6, "fermé"), 24*time.Hour); err != nil || joined {
		t.Errorf("joined a case the mirror says is closed: %v, %v", joined, err)
	}
}

// TestSMSThreadsJoinCallCase: a complaint made by USSD or voice through the
// replica's producer (not through SMSThreads.Submit) is joined by the
// caller's later SMS, as where the cases are; a producer without Threads
// remembers nothing, so the SMS is a case of its own.
func TestSMSThreadsJoinCallCase(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	p := scaleout.NewProducer(rdb, prefix)
	th := scaleout.NewSMSThreads(p)
	store := memstore.New()
	runConsumer(t, scaleout.NewConsumer(rdb, prefix, caseworktest.Service(t, store, nil), "casework-1", quiet))

	for i, medium := range []string{"ussd", "voice"} {
		key := fmt.Sprintf("k1:call%d", i)
		in := storetest.Intake(key, 10+i)
		in.Medium, in.Detail = medium, ""
		r, err := p.Submit(ctx, in) // the USSD and voice paths' Submitter
		if err != nil {
			t.Fatal(err)
		}
		c, joined, err := th.Join(ctx, smsIntake(key, 20+i, "j'ai oublié"), 24*time.Hour)
		if err != nil || !joined || c.Reference != r.Case.Reference || c.Language != in.Language {
			t.Fatalf("%s: Join = %+v, %v, %v; want joined to %s", medium, c, joined, err, r.Case.Reference)
		}
		eventually(t, medium+" case with the SMS", func() bool {
			c, err := store.ByReference(ctx, r.Case.Reference)
			return err == nil && c.Medium == medium && c.Detail == "j'ai oublié"
		})
		if list, _ := store.ByCallerKey(ctx, key); len(list) != 1 {
			t.Errorf("%s: %d cases for the caller, want 1", medium, len(list))
		}
	}

	plain := scaleout.NewProducer(rdb, prefix) // Threads unset: remembers nothing
	in := storetest.Intake("k1:plain", 30)
	if _, err := plain.Submit(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, joined, err := th.Join(ctx, smsIntake("k1:plain", 31, "encore"), 24*time.Hour); err != nil || joined {
		t.Errorf("joined a case its producer did not remember: %v, %v", joined, err)
	}
}
