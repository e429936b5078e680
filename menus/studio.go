package menus

import (
	"bytes"
	"io"
	"io/fs"
	"slices"
	"time"

	"github.com/numerovert/hotline/menus/gsm7"
)

// The language studio's side of the catalogue (issue 13): where a
// locale's file is, what a string's screen looks like on USSD, which
// placeholders a string must keep, and the shipped locales with the
// studio's edits laid over them.

// LocaleFile is the file of lang in the locales directory ("bm.yaml"),
// or "" when lang is not loaded.
func (c *Catalog) LocaleFile(lang string) string {
	if l := c.byCode[lang]; l != nil {
		return l.file
	}
	return ""
}

// Preview is a string as the caller meets it on USSD: the first screen
// that shows it (with the longest sample answers lint uses), in the
// encoding it is sent in, and what is left of that encoding's budget.
type Preview struct {
	Node     string // the tree node whose screen it is; "" when no screen shows the key as prompt or label
	Text     string // USSDText of that screen, or the string alone
	Encoding string // "GSM-7" or "UCS-2"
	Used     int    // septets (GSM-7) or UTF-16 units (UCS-2)
	Max      int    // 182 or 80
	Left     int    // Max - Used; negative when it does not fit
}

// Preview renders the screen that shows key in lang.
func (c *Catalog) Preview(lang, key string) Preview {
	return c.Previews(lang, []string{key})[key]
}

// Previews renders the screen of each key in lang (one engine for all).
func (c *Catalog) Previews(lang string, keys []string) map[string]Preview {
	e := NewEngine(c, FitsUSSD)
	out := make(map[string]Preview, len(keys))
	for _, key := range keys {
		out[key] = e.preview(lang, key)
	}
	return out
}

func (e *Engine) preview(lang, key string) Preview {
	c := e.cat
	text := c.Text(lang, key)
	n := c.nodeShowing(key)
	if n == nil {
		return measure("", text)
	}
	el, en := e.langs[lang], e.nodes[n.ID]
	if el == nil || en == nil {
		return measure("", text)
	}
	st := State{Lang: lang, Node: n.ID, Answers: e.sampleAnswers(el, en)[0], Back: []Frame{{Node: c.tree.start}}}
	if n.Kind == kindEnd {
		st.Reference, st.PIN, st.AnswerDays = "12345678", "1234", 30
	}
	s, ok := e.render(st, "")
	if !ok {
		return measure("", text)
	}
	return measure(n.ID, USSDText(s))
}

func measure(node, text string) Preview {
	p := Preview{Node: node, Text: text}
	if n, ok := gsm7.Septets(text); ok {
		p.Encoding, p.Used, p.Max = "GSM-7", n, gsm7.MaxUSSDSeptets
	} else {
		p.Encoding, p.Used, p.Max = "UCS-2", gsm7.UTF16Len(text), gsm7.MaxUSSDUCS2
	}
	p.Left = p.Max - p.Used
	return p
}

// nodeShowing is the first node whose prompt or an option's label is key.
func (c *Catalog) nodeShowing(key string) *nodeDef {
	// A screen's node first: a string shared with a question asked only
	// on a call (home.prompt, also the live operator's menu) is measured
	// on the screen a USSD caller sees.
	var voiceOnly *nodeDef
	for _, n := range c.tree.nodes {
		shows := n.Prompt == key
		for _, o := range n.allOptions() {
			shows = shows || o.Label == key
		}
		switch {
		case shows && !n.Voice:
			return n
		case shows && voiceOnly == nil:
			voiceOnly = n
		}
	}
	return voiceOnly
}

// Placeholders lists the {names} in s, in order, once each.
func Placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// OverlayFS is base with the files of over (name → content) in place of
// base's: the shipped locales with the studio's edits. Only files base
// has may be replaced, so listing a directory stays base's listing.
func OverlayFS(base fs.FS, over map[string][]byte) fs.FS {
	return overlayFS{base: base, over: over}
}

type overlayFS struct {
	base fs.FS
	over map[string][]byte
}

func (o overlayFS) Open(name string) (fs.File, error) {
	b, ok := o.over[name]
	if !ok {
		return o.base.Open(name)
	}
	f, err := o.base.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(b), info: memInfo{FileInfo: info, size: int64(len(b))}}, nil
}

// ReadDir is base's: an overlay replaces files, it adds none.
func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(o.base, name) }

type memFile struct {
	*bytes.Reader
	info memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

var _ io.ReaderAt = (*memFile)(nil)

type memInfo struct {
	fs.FileInfo
	size int64
}

func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return time.Time{} }
