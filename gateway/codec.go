package gateway

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/numerovert/hotline/menus"
)

// The session store holds a USSD session and a resume record on every hop,
// so they are encoded compactly: a version byte, then fields in a fixed
// order, strings as uvarint length + bytes. It is several times cheaper
// than JSON and smaller. Records written as JSON by an earlier version
// (first byte '{') still read.
const codecV1 = 0x01

// codecV2 adds State.Text (the information line's page, issue 15) after
// AnswerDays. v1 records, written before, still read (their Text is "").
const codecV2 = 0x02

// codecV3 adds State.Heard (a recorded information page's parts, for a
// call) after Text. v1 and v2 records still read.
const codecV3 = 0x03

// errCodec is returned (wrapped) for a record that is neither JSON nor v1.
var errCodec = errors.New("unreadable session record")

// maxCodecItems bounds the counts read from a record, so that a damaged
// one cannot make the decoder allocate much.
const maxCodecItems = 1 << 12

// scratch holds encoding buffers: a record is encoded into one, then
// copied out at its exact size, because the memory store keeps the slice
// it is given for the session's life (a 256-byte buffer held for a
// 90-byte first screen cost 100,000 open sessions about 16 MB).
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func exact(encode func([]byte) []byte) []byte {
	p := scratch.Get().(*[]byte)
	b := encode((*p)[:0])
	out := append([]byte(nil), b...)
	if cap(b) <= 4<<10 {
		*p = b
		scratch.Put(p)
	}
	return out
}

func encodeSession(s ussdSession) []byte {
	return exact(func(b []byte) []byte {
		b = append(b, codecV3)
		b = putString(b, s.Text)
		b = putString(b, s.CallerKey)
		b = putString(b, s.Reply.Text)
		b = putBool(b, s.Reply.End)
		return putState(b, s.State)
	})
}

func decodeSession(b []byte) (ussdSession, error) {
	var s ussdSession
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, &s)
		return s, err
	}
	d := decoder{b: b}
	if d.v = d.byte(); d.v < codecV1 || d.v > codecV3 {
		return s, fmt.Errorf("%w: version", errCodec)
	}
	s.Text, s.CallerKey, s.Reply.Text = d.string(), d.string(), d.string()
	s.Reply.End = d.bool()
	s.State = d.state(0)
	return s, d.done()
}

func encodeState(st menus.State) []byte {
	return exact(func(b []byte) []byte { return putState(append(b, codecV3), st) })
}

func decodeState(b []byte) (menus.State, error) {
	var st menus.State
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, &st)
		return st, err
	}
	d := decoder{b: b}
	if d.v = d.byte(); d.v < codecV1 || d.v > codecV3 {
		return st, fmt.Errorf("%w: version", errCodec)
	}
	st = d.state(0)
	return st, d.done()
}

// putState writes every field of menus.State; codec_test.go fails when
// State gains a field this does not know.
func putState(b []byte, st menus.State) []byte {
	b = putString(b, st.Lang)
	b = putString(b, st.Node)
	b = binary.AppendVarint(b, int64(st.Page))
	b = binary.AppendUvarint(b, uint64(len(st.Back)))
	for _, f := range st.Back {
		b = putString(b, f.Node)
		b = binary.AppendVarint(b, int64(f.Page))
	}
	b = binary.AppendUvarint(b, uint64(len(st.Answers)))
	// Sorted, so that one state has one encoding.
	keys := make([]string, 0, len(st.Answers))
	for k := range st.Answers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = putString(b, k)
		b = putString(b, st.Answers[k])
	}
	b = putString(b, st.Reference)
	b = putString(b, st.PIN)
	b = binary.AppendVarint(b, int64(st.AnswerDays))
	b = putString(b, st.Text)
	b = binary.AppendUvarint(b, uint64(len(st.Heard)))
	for _, p := range st.Heard {
		b = putString(putString(putString(b, p.Lang), p.Text), p.Audio)
	}
	if st.Resume == nil {
		return putBool(b, false)
	}
	return putState(putBool(b, true), *st.Resume)
}

// sameState reports whether a and b hold the same fields, as their
// encodings would (a nil and an empty map or list are the same). It is
// reflect.DeepEqual's answer for menus.State without reflection, which a
// hop's resume check paid on every hop; it must know every field, like
// putState (TestSessionCodecKnowsEveryField).
func sameState(a, b menus.State) bool {
	if a.Lang != b.Lang || a.Node != b.Node || a.Page != b.Page || a.Reference != b.Reference ||
		a.PIN != b.PIN || a.AnswerDays != b.AnswerDays || !slices.Equal(a.Back, b.Back) ||
		len(a.Answers) != len(b.Answers) || (a.Resume == nil) != (b.Resume == nil) || !slices.Equal(a.Heard, b.Heard) {
		return false
	}
	for k, v := range a.Answers {
		if w, ok := b.Answers[k]; !ok || w != v {
			return false
		}
	}
	return a.Resume == nil || sameState(*a.Resume, *b.Resume)
}

func putString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func putBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// decoder reads a v1 record; the first error sticks and later reads
// return zero values.
type decoder struct {
	b   []byte
	err error
	v   byte // the record's version
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errCodec, what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bool")
	return false
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("count")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int {
	v, n := binary.Varint(d.b)
	if n <= 0 || v < -1<<31 || v > 1<<31-1 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) count() int {
	n := d.uvarint()
	if n > maxCodecItems {
		d.fail("count")
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// state reads a menus.State; depth bounds nested resume states.
func (d *decoder) state(depth int) menus.State {
	var st menus.State
	st.Lang, st.Node, st.Page = d.string(), d.string(), d.int()
	if n := d.count(); n > 0 {
		st.Back = make([]menus.Frame, 0, min(n, len(d.b)))
		for range n {
			st.Back = append(st.Back, menus.Frame{Node: d.string(), Page: d.int()})
		}
	}
	if n := d.count(); n > 0 {
		st.Answers = make(map[string]string, min(n, len(d.b)))
		for range n {
			k := d.string()
			st.Answers[k] = d.string()
		}
	}
	st.Reference, st.PIN, st.AnswerDays = d.string(), d.string(), d.int()
	if d.v >= codecV2 {
		st.Text = d.string()
	}
	if d.v >= codecV3 {
		if n := d.count(); n > 0 {
			st.Heard = make([]menus.PagePart, 0, min(n, len(d.b)))
			for range n {
				st.Heard = append(st.Heard, menus.PagePart{Lang: d.string(), Text: d.string(), Audio: d.string()})
			}
		}
	}
	if d.bool() {
		if depth > 0 {
			d.fail("nested resume")
			return st
		}
		r := d.state(depth + 1)
		st.Resume = &r
	}
	return st
}

// done reports the first error, or trailing bytes.
func (d *decoder) done() error {
	if d.err != nil {
		return d.err
	}
	if len(d.b) > 0 {
		return fmt.Errorf("%w: trailing bytes", errCodec)
	}
	return nil
}
