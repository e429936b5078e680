// Package overlay is the language studio's store (issue 13): translators'
// edits to the callers' catalogue and their recordings, kept in the data
// directory over the shipped locales, with a history of every change (who,
// when, old and new text, reviewed mark) that any change can be reverted
// from.
//
// Edits live in their own bbolt file (DATA/studio.db), not in the case
// store: they are the catalogue's, not a case's, they need none of the
// case store's keys or migrations, and a backup carries the file as it
// carries the others. The shipped locale files are never written: the
// catalogue callers get is the shipped files with the edits applied by
// menus.EditLocale, loaded and linted like the files themselves. A save
// that would break a screen (too long for USSD in its encoding, a
// placeholder lost or unknown) is refused with the linter's reason, and
// nothing changes. A save swaps the live catalogue (Catalog) and tells
// every OnChange subscriber, so the next session uses it; a session in
// flight keeps its state, which does not depend on the strings.
package overlay

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/internal/boltfile"
	"github.com/numerovert/hotline/menus"
)

// File is the store's file in the data directory.
const File = "studio.db"

// AudioDir is where recordings made at run time live in the data
// directory: AudioDir/<lang>/<key>.wav, over the shipped ones.
const AudioDir = "audio"

// MaxRecording bounds an uploaded recording: a two-minute WAV at 48 kHz
// stereo is 23 MB.
const MaxRecording = 32 << 20

var (
	bucketEdits      = []byte("edits")      // lang\x00key → Edit (JSON)
	bucketHistory    = []byte("history")    // big-endian sequence → Change (JSON)
	bucketRecordings = []byte("recordings") // lang\x00key → Recording (JSON)
)

// ErrNotFound is returned (wrapped) for an unknown language, key or change.
var ErrNotFound = errors.New("overlay: not found")

// RefusedError is a save the linter refused: nothing was stored.
type RefusedError struct{ Reasons []string }

func (e *RefusedError) Error() string {
	return "overlay: refused: " + strings.Join(e.Reasons, "; ")
}

// Edit is the studio's text of one key in one language.
type Edit struct {
	Text     string    `json:"text"`
	Reviewed bool      `json:"reviewed"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// State is one side of a change: the text a key had, and whether it came
// from the shipped file (no edit) or from the studio.
type State struct {
	Text     string `json:"text"`
	Reviewed bool   `json:"reviewed"`
	Shipped  bool   `json:"shipped,omitempty"` // the shipped file's text (or none: Text "")
}

// Change is one entry of the history.
type Change struct {
	ID     uint64    `json:"id"`
	Lang   string    `json:"lang"`
	Key    string    `json:"key"`
	Action string    `json:"action"` // "edit", "review" or "revert"
	Old    State     `json:"old"`
	New    State     `json:"new"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Revert uint64    `json:"revert,omitempty"` // the change a revert undid
}

// Actions of the history.
const (
	ActionEdit      = "edit"
	ActionReview    = "review"
	ActionRevert    = "revert"
	ActionRecording = "recording"
	ActionRecReview = "recording_review"
)

// Recording is a prompt recorded at run time.
type Recording struct {
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Seconds  float64   `json:"seconds"`
	Reviewed bool      `json:"reviewed"`
}

// Options opens a Store.
type Options struct {
	DataDir string // the hotline's data directory: studio.db and audio/ go there
	Base    fs.FS  // the shipped locales directory
	// Build turns a loaded catalogue into the one callers use (the
	// deployment's localities, the referral directory); nil: as loaded.
	Build  func(*menus.Catalog) (*menus.Catalog, error)
	Logger *slog.Logger
	Now    func() time.Time
	// ShippedAudio is the locales' own recordings (<lang>/<key>.wav),
	// under the ones made at run time; nil: none.
	ShippedAudio fs.FS
}

// Store is the studio's overlay.
type Store struct {
	db      *bolt.DB
	o       Options
	shipped *menus.Catalog // the shipped files alone: order, sources
	live    atomic.Pointer[menus.Catalog]
	mu      sync.Mutex // one save at a time: each is linted against the last
	subs    []func(*menus.Catalog)
	audio   []func()
}

// Open opens (or creates) DATA/studio.db and builds the live catalogue:
// the shipped locales with every stored edit.
func Open(o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Build == nil {
		o.Build = func(c *menus.Catalog) (*menus.Catalog, error) { return c, nil }
	}
	shipped, err := menus.Load(o.Base)
	if err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	db, err := boltfile.Open(filepath.Join(o.DataDir, File), bucketEdits, bucketHistory, bucketRecordings)
	if err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	s := &Store{db: db, o: o, shipped: shipped}
	c, err := s.buildStored()
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.live.Store(c)
	return s, nil
}

// buildStored builds the catalogue of every stored edit. An edit that no
// longer loads over the shipped locales (a new release changed them) is
// left out with a warning, not lost: the hotline starts, and the history
// still shows it.
func (s *Store) buildStored() (*menus.Catalog, error) {
	edits, err := s.allEdits()
	if err != nil {
		return nil, err
	}
	c, _, err := s.build(edits)
	if err == nil {
		return c, nil
	}
	kept := map[string]map[string]Edit{}
	for _, lang := range slices.Sorted(maps.Keys(edits)) {
		for _, key := range slices.Sorted(maps.Keys(edits[lang])) {
			try := cloneEdits(kept)
			if try[lang] == nil {
				try[lang] = map[string]Edit{}
			}
			try[lang][key] = edits[lang][key]
			if _, _, err := s.build(try); err != nil {
				s.o.Logger.Warn("studio: an edit no longer fits the shipped locales; left out", "lang", lang, "key", key, "err", err)
				continue
			}
			kept = try
		}
	}
	c, _, err = s.build(kept)
	if err != nil {
		return nil, fmt.Errorf("overlay: the locales do not load: %w", err)
	}
	return c, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// BeginSnapshot starts a read-only transaction for a backup.
func (s *Store) BeginSnapshot() (*bolt.Tx, error) { return s.db.Begin(false) }

// Catalog is the live catalogue: the shipped locales with the edits.
func (s *Store) Catalog() *menus.Catalog { return s.live.Load() }

// Shipped is the catalogue of the shipped files alone.
func (s *Store) Shipped() *menus.Catalog { return s.shipped }

// OnChange calls f with every new catalogue (after a save or a revert).
// Call it before serving.
func (s *Store) OnChange(f func(*menus.Catalog)) { s.subs = append(s.subs, f) }

// OnAudio calls f after every recording stored. Call it before serving.
func (s *Store) OnAudio(f func()) { s.audio = append(s.audio, f) }

func editKey(lang, key string) []byte { return []byte(lang + "\x00" + key) }

// allEdits reads every edit: lang → key → Edit.
func (s *Store) allEdits() (map[string]map[string]Edit, error) {
	out := map[string]map[string]Edit{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEdits).ForEach(func(k, v []byte) error {
			lang, key, ok := strings.Cut(string(k), "\x00")
			if !ok {
				return fmt.Errorf("overlay: bad edit key %q", k)
			}
			var e Edit
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("overlay: edit %s %s: %w", lang, key, err)
			}
			if out[lang] == nil {
				out[lang] = map[string]Edit{}
			}
			out[lang][key] = e
			return nil
		})
	})
	return out, err
}

// Edits lists lang's edits by key.
func (s *Store) Edits(lang string) (map[string]Edit, error) {
	all, err := s.allEdits()
	if err != nil {
		return nil, err
	}
	return all[lang], nil
}

// files writes the edits into their locale files.
func (s *Store) files(edits map[string]map[string]Edit) (map[string][]byte, error) {
	order := s.order()
	out := map[string][]byte{}
	for lang, keys := range edits {
		file := s.shipped.LocaleFile(lang)
		if file == "" {
			return nil, fmt.Errorf("%w: language %q", ErrNotFound, lang)
		}
		src, err := fs.ReadFile(s.o.Base, file)
		if err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
		var changes []menus.Change
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			changes = append(changes, menus.Change{Key: k, Text: keys[k].Text, Reviewed: keys[k].Reviewed})
		}
		b, err := menus.EditLocale(src, order, changes)
		if err != nil {
			return nil, fmt.Errorf("overlay: %s: %w", file, err)
		}
		out[file] = b
	}
	return out, nil
}

// order is the fallback's key order, where EditLocale puts a new key.
func (s *Store) order() []string {
	es, _ := s.shipped.Entries(s.shipped.Fallback())
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}

// build loads the shipped locales with edits, and returns the catalogue
// callers get and the overlaid directory (for lint).
func (s *Store) build(edits map[string]map[string]Edit) (*menus.Catalog, fs.FS, error) {
	files, err := s.files(edits)
	if err != nil {
		return nil, nil, err
	}
	fsys := menus.OverlayFS(s.o.Base, files)
	c, err := menus.Load(fsys)
	if err != nil {
		return nil, nil, err
	}
	if c, err = s.o.Build(c); err != nil {
		return nil, nil, err
	}
	return c, fsys, nil
}

// Save stores lang's text of key, with its reviewed mark, after linting
// the whole catalogue with it: a RefusedError says why when a screen would
// break, and nothing changes. by is the staff user (the audit).
func (s *Store) Save(ctx context.Context, by, lang, key, text string, reviewed bool) (Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Change{}, err
	}
	if !s.shipped.HasLanguage(lang) {
		return Change{}, fmt.Errorf("%w: language %q", ErrNotFound, lang)
	}
	source, ok := s.source(key)
	if !ok {
		return Change{}, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	text = strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n")
	if reasons := keepsPlaceholders(source, text); len(reasons) > 0 {
		return Change{}, &RefusedError{Reasons: reasons}
	}
	edits, err := s.allEdits()
	if err != nil {
		return Change{}, err
	}
	old := s.stateOf(edits, lang, key)
	action := ActionEdit
	if old.Text == text && reviewed && !old.Reviewed {
		action = ActionReview
	}
	return s.apply(edits, Change{Lang: lang, Key: key, Action: action, Old: old, New: State{Text: text, Reviewed: reviewed}, By: by})
}

// Revert undoes change id: the key goes back to the text it had before it
// (the shipped one when it had no edit), as a new change of its own.
func (s *Store) Revert(ctx context.Context, by string, id uint64) (Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Change{}, err
	}
	ch, err := s.change(id)
	if err != nil {
		return Change{}, err
	}
	if ch.Action == ActionRecording || ch.Action == ActionRecReview {
		return Change{}, fmt.Errorf("%w: change %d is a recording's", ErrNotFound, id)
	}
	edits, err := s.allEdits()
	if err != nil {
		return Change{}, err
	}
	return s.apply(edits, Change{Lang: ch.Lang, Key: ch.Key, Action: ActionRevert, Old: s.stateOf(edits, ch.Lang, ch.Key), New: ch.Old, By: by, Revert: id})
}

// apply lints edits with ch, stores both, swaps the live catalogue.
func (s *Store) apply(edits map[string]map[string]Edit, ch Change) (Change, error) {
	next := cloneEdits(edits)
	if ch.New.Shipped {
		delete(next[ch.Lang], ch.Key)
	} else {
		if next[ch.Lang] == nil {
			next[ch.Lang] = map[string]Edit{}
		}
		next[ch.Lang][ch.Key] = Edit{Text: ch.New.Text, Reviewed: ch.New.Reviewed, By: ch.By, At: s.o.Now().UTC()}
	}
	c, err := s.lint(edits, next)
	if err != nil {
		return Change{}, err
	}
	ch.At = s.o.Now().UTC()
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEdits)
		if ch.New.Shipped {
			if err := b.Delete(editKey(ch.Lang, ch.Key)); err != nil {
				return err
			}
		} else if err := putJSON(b, editKey(ch.Lang, ch.Key), next[ch.Lang][ch.Key]); err != nil {
			return err
		}
		return s.record(tx, &ch)
	})
	if err != nil {
		return Change{}, fmt.Errorf("overlay: save %s %s: %w", ch.Lang, ch.Key, err)
	}
	s.live.Store(c)
	for _, f := range s.subs {
		f(c)
	}
	s.o.Logger.Info("studio: catalogue changed", "lang", ch.Lang, "key", ch.Key, "action", ch.Action, "by", ch.By, "change", ch.ID)
	return ch, nil
}

func (s *Store) record(tx *bolt.Tx, ch *Change) error {
	h := tx.Bucket(bucketHistory)
	id, err := h.NextSequence()
	if err != nil {
		return err
	}
	ch.ID = id
	return putJSON(h, seqKey(id), ch)
}

// lint builds next and refuses it when lint finds an error the current
// catalogue does not have (a screen too long, an unknown placeholder).
func (s *Store) lint(cur, next map[string]map[string]Edit) (*menus.Catalog, error) {
	_, curFS, err := s.build(cur)
	if err != nil {
		return nil, err
	}
	files, err := s.files(next)
	if err != nil {
		return nil, err
	}
	nextFS := menus.OverlayFS(s.o.Base, files)
	before := map[string]bool{}
	for _, p := range menus.Lint(curFS) {
		if !p.Warning {
			before[p.File+"\x00"+p.Msg] = true
		}
	}
	var reasons []string
	for _, p := range menus.Lint(nextFS) {
		if !p.Warning && !before[p.File+"\x00"+p.Msg] {
			reasons = append(reasons, p.Msg)
		}
	}
	if len(reasons) > 0 {
		return nil, &RefusedError{Reasons: reasons}
	}
	c, err := menus.Load(nextFS)
	if err != nil {
		return nil, &RefusedError{Reasons: []string{err.Error()}}
	}
	if c, err = s.o.Build(c); err != nil {
		return nil, err
	}
	return c, nil
}

// source is the fallback's (French) text of key.
func (s *Store) source(key string) (string, bool) {
	es, _ := s.shipped.Entries(s.shipped.Fallback())
	for _, e := range es {
		if e.Key == key {
			return e.Source, true
		}
	}
	return "", false
}

// stateOf is key's text in lang now: the studio's edit, else the file's.
func (s *Store) stateOf(edits map[string]map[string]Edit, lang, key string) State {
	if e, ok := edits[lang][key]; ok {
		return State{Text: e.Text, Reviewed: e.Reviewed}
	}
	es, _ := s.shipped.Entries(lang)
	for _, e := range es {
		if e.Key == key {
			return State{Text: e.Text, Reviewed: e.Reviewed, Shipped: true}
		}
	}
	return State{Shipped: true}
}

// keepsPlaceholders refuses a text that lost one of the source's {names}:
// the hotline would no longer show the caller their reference, say.
func keepsPlaceholders(source, text string) []string {
	if text == "" {
		return []string{"the text is empty"}
	}
	var out []string
	have := menus.Placeholders(text)
	for _, p := range menus.Placeholders(source) {
		if !slices.Contains(have, p) {
			out = append(out, fmt.Sprintf("the placeholder {%s} of the French text is missing: the hotline puts the caller's %s there", p, p))
		}
	}
	return out
}

func cloneEdits(m map[string]map[string]Edit) map[string]map[string]Edit {
	out := make(map[string]map[string]Edit, len(m))
	for l, keys := range m {
		out[l] = make(map[string]Edit, len(keys))
		for k, e := range keys {
			out[l][k] = e
		}
	}
	return out
}

func seqKey(id uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	return b[:]
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func (s *Store) change(id uint64) (Change, error) {
	var ch Change
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketHistory).Get(seqKey(id))
		if v == nil {
			return fmt.Errorf("%w: change %d", ErrNotFound, id)
		}
		return json.Unmarshal(v, &ch)
	})
	return ch, err
}

// History lists the changes of key in lang (every key when key is "";
// every language when lang is ""), newest first.
func (s *Store) History(lang, key string) ([]Change, error) {
	var out []Change
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var ch Change
			if err := json.Unmarshal(v, &ch); err != nil {
				return fmt.Errorf("overlay: history: %w", err)
			}
			if (lang == "" || ch.Lang == lang) && (key == "" || ch.Key == key) {
				out = append(out, ch)
			}
		}
		return nil
	})
	return out, err
}
