package gateway

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus"
)

func sampleSession() ussdSession {
	saved := menus.State{Lang: "bm", Node: "region", Back: []menus.Frame{{Node: "category", Page: 1}},
		Answers: map[string]string{"category": "food", "detail": "ɛ ɔ ɲ\n*#"}}
	return ussdSession{
		Text:      "1*1*2",
		CallerKey: "k1:abc_-",
		Reply:     turn.Reply{Text: "CON Mali\n1 Kayes", End: false},
		State: menus.State{Lang: "bm", Node: "resume", Page: -1, Back: []menus.Frame{{Node: "home"}},
			Answers: map[string]string{"category": "food"}, Reference: "12345678", PIN: "0042", AnswerDays: 14, Resume: &saved,
			Text:  "Distribution le 12 mars.\nÀ Ténenkou.",
			Heard: []menus.PagePart{{Lang: "fr", Text: "Distribution le 12 mars.", Audio: "info-0123456789abcdef"}, {Lang: "fr", Text: "À Ténenkou."}}},
	}
}

func TestSessionCodecRoundTrip(t *testing.T) {
	for _, s := range []ussdSession{{}, sampleSession()} {
		b := encodeSession(s)
		got, err := decodeSession(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
		}
		js, _ := json.Marshal(s)
		if len(b) >= len(js) {
			t.Errorf("compact record is %d bytes, JSON %d", len(b), len(js))
		}
	}
	st := *sampleSession().State.Resume
	got, err := decodeState(encodeState(st))
	if err != nil || !reflect.DeepEqual(got, st) {
		t.Errorf("state round trip: %+v, %v", got, err)
	}
}

// Sessions and resume records written as JSON before the compact encoding
// still read.
func TestSessionCodecReadsOldJSON(t *testing.T) {
	s := sampleSession()
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSession(js)
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("old session JSON: %+v, %v", got, err)
	}
	js, _ = json.Marshal(*s.State.Resume)
	st, err := decodeState(js)
	if err != nil || !reflect.DeepEqual(st, *s.State.Resume) {
		t.Errorf("old resume JSON: %+v, %v", st, err)
	}
}

// A v1 record (before State.Text, issue 15) still reads, with no text:
// sessions live in Redis across an upgrade.
func TestSessionCodecReadsV1(t *testing.T) {
	v1 := []byte{0x01, 0, 1, 'k', 0, 0, 2, 'f', 'r', 4, 'h', 'o', 'm', 'e', 0, 0, 0, 0, 0, 0, 0}
	got, err := decodeSession(v1)
	want := ussdSession{CallerKey: "k", State: menus.State{Lang: "fr", Node: "home"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("v1 record: %+v, %v; want %+v", got, err, want)
	}
}

// A v2 record (before State.Heard) still reads, with nothing heard.
func TestSessionCodecReadsV2(t *testing.T) {
	v2 := []byte{0x02, 0, 1, 'k', 0, 0, 2, 'f', 'r', 4, 'p', 'a', 'g', 'e', 0, 0, 0, 0, 0, 0, 2, 'h', 'i', 0}
	got, err := decodeSession(v2)
	want := ussdSession{CallerKey: "k", State: menus.State{Lang: "fr", Node: "page", Text: "hi"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("v2 record: %+v, %v; want %+v", got, err, want)
	}
}

// The codec writes fields by hand: a field added to one of these types
// must be added to it too, or it would be lost between hops.
func TestSessionCodecKnowsEveryField(t *testing.T) {
	for typ, want := range map[reflect.Type]int{
		reflect.TypeFor[ussdSession](): 4,
		reflect.TypeFor[menus.State](): 11,
		reflect.TypeFor[menus.Frame](): 2,
		reflect.TypeFor[turn.Reply]():  2,
	} {
		if typ.NumField() != want {
			t.Errorf("%s has %d fields, the codec knows %d: update gateway/codec.go", typ, typ.NumField(), want)
		}
	}
}

// sameState agrees with reflect.DeepEqual on states that differ in any
// one field, and on equal ones (a nil and an empty map are the same to
// the codec, and to it).
func TestSameState(t *testing.T) {
	base := sampleSession().State
	clone := func() menus.State {
		st, err := decodeState(encodeState(base))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if !sameState(base, clone()) {
		t.Fatal("a state and its decoded copy differ")
	}
	changes := map[string]func(*menus.State){
		"lang":       func(s *menus.State) { s.Lang = "zz" },
		"node":       func(s *menus.State) { s.Node = "elsewhere" },
		"page":       func(s *menus.State) { s.Page++ },
		"back":       func(s *menus.State) { s.Back = append(s.Back, menus.Frame{Node: "x"}) },
		"back page":  func(s *menus.State) { s.Back[0].Page++ },
		"answer":     func(s *menus.State) { s.Answers["region"] = "other" },
		"new answer": func(s *menus.State) { s.Answers["extra"] = "" },
		"reference":  func(s *menus.State) { s.Reference = "99999999" },
		"pin":        func(s *menus.State) { s.PIN = "0000" },
		"days":       func(s *menus.State) { s.AnswerDays++ },
		"resume":     func(s *menus.State) { s.Resume = nil },
		"in resume":  func(s *menus.State) { s.Resume.Node = "elsewhere" },
		"heard":      func(s *menus.State) { s.Heard[0].Audio = "" },
	}
	for name, change := range changes {
		st := clone()
		change(&st)
		if sameState(base, st) || sameState(st, base) {
			t.Errorf("%s: changed state reported the same", name)
		}
		if reflect.DeepEqual(base, st) {
			t.Errorf("%s: the change changed nothing (a bad case)", name)
		}
	}
	if !sameState(menus.State{Node: "n"}, menus.State{Node: "n", Answers: map[string]string{}, Back: []menus.Frame{}}) {
		t.Error("nil and empty answers or frames differ")
	}
}

func TestSessionCodecRefusesDamage(t *testing.T) {
	b := encodeSession(sampleSession())
	for _, bad := range [][]byte{nil, {0x02}, b[:len(b)-1], append(b[:len(b):len(b)], 0)} {
		if _, err := decodeSession(bad); err == nil {
			t.Errorf("damaged record % x read without error", bad)
		}
	}
}

func FuzzSessionDecode(f *testing.F) {
	f.Add(encodeSession(sampleSession()))
	f.Add(encodeSession(ussdSession{}))
	js, _ := json.Marshal(sampleSession())
	f.Add(js)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSession(b)
		if err != nil || (len(b) > 0 && b[0] == '{') {
			return
		}
		// What reads must write back to the same record.
		again, err := decodeSession(encodeSession(s))
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("re-encoding changed the session: %+v → %+v (%v)", s, again, err)
		}
		_, _ = decodeState(b)
	})
}
