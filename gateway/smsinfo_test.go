package gateway_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/subscribers"
)

// INFO, INFO ON and STOP by SMS, and the messages that only look like
// them: "stop" or "info" starting a sentence is a complaint, INFO ON
// without a place says how to ask and keeps nobody, and a second STOP
// changes nothing but still answers.
func TestSMSInfoKeywords(t *testing.T) {
	subs, err := subscribers.OpenWithKeys(filepath.Join(t.TempDir(), "subscribers.db"), []keystore.Key{{Version: "k1", Secret: make([]byte, keystore.Size)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { subs.Close() })
	r := newSMSRig(t, func(o *gateway.Options) { o.SMS.Subscribers = subs })
	ctx := context.Background()
	const phone = "+22376000095"
	subscribed := func() bool {
		ok, err := subs.Subscribed(ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	steps := []struct {
		id, text, want string
		subscribed     bool
		cases          int
	}{
		{"i0", "INFO ON", "INFO ON", false, 0},                                     // no place: how to ask, nobody kept
		{"i1", "Info: on m'a retiré de la liste", "code", false, 1},                // starts like INFO ON, names no place: a complaint
		{"i2", "info on ténenkou", "Tenenkou", true, 1},                            // accents and case ignored
		{"i3", "INFO Tenenkou 3", "pas encore", true, 1},                           // nothing approved yet
		{"i4", "Stop the distribution agent from asking money", "ajouté", true, 1}, // a complaint (added to the open one), not STOP
		{"i5", "STOP", "effacé", false, 1},
		{"i6", "stop", "effacé", false, 1}, // again: nothing to delete, same answer
	}
	for _, st := range steps {
		if code, _ := r.at(st.id, phone, st.text); code != 200 {
			t.Fatalf("%q: status %d", st.text, code)
		}
		_, body := r.reply("demo-at", st.id)
		if st.want != "" && !strings.Contains(body, st.want) {
			t.Errorf("%q answered %q; want %q in it", st.text, body, st.want)
		}
		if got := subscribed(); got != st.subscribed {
			t.Errorf("after %q subscribed = %v; want %v", st.text, got, st.subscribed)
		}
		if n := len(r.allCases()); n != st.cases {
			t.Errorf("after %q: %d cases; want %d", st.text, n, st.cases)
		}
	}
	if strings.Contains(r.logs.String(), "76000095") {
		t.Error("the log holds the number")
	}
}
