package menus

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Entry is one string of a locale beside its source, the fallback
// locale's text: what a translation team works from.
type Entry struct {
	Key      string
	Source   string // the fallback's text
	Text     string // the locale's own text; "" when it has none (callers see Source)
	Reviewed bool   // `reviewed: true`: checked by a native speaker
}

// Entries lists every string of the fallback locale, in its file's order,
// with lang's own text.
func (c *Catalog) Entries(lang string) ([]Entry, error) {
	l := c.byCode[lang]
	if l == nil {
		return nil, fmt.Errorf("menus: no locale %q", lang)
	}
	fb := c.fallback
	keys := make([]string, 0, len(fb.strings))
	for k := range fb.strings {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(fb.lines[a], fb.lines[b]), strings.Compare(a, b)) })
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		e := Entry{Key: k, Source: fb.strings[k]}
		if text, ok := l.strings[k]; ok && !l.borrowed[k] {
			e.Text, e.Reviewed = text, l.reviewed[k]
		}
		out = append(out, e)
	}
	return out, nil
}

// Change sets the text of one key of a locale file.
type Change struct {
	Key      string
	Text     string
	Reviewed bool
}

// EditLocale applies changes to the locale file src in place and returns
// the new file. A key already there is rewritten in its own layout (one
// line, or `text:` and `reviewed:` lines), keeping a comment at its end;
// a new key goes after the nearest key before it in order (the fallback's
// key order, as Entries lists it), so that it sits beside its related
// keys, else first under `strings:`. Every other byte stays as it was.
func EditLocale(src []byte, order []string, changes []Change) ([]byte, error) {
	out := src
	for _, ch := range changes {
		if !utf8.ValidString(ch.Text) || strings.TrimSpace(ch.Text) == "" {
			return nil, fmt.Errorf("menus: edit locale: %q: the text is empty or not UTF-8", ch.Key)
		}
		var err error
		if out, err = editOne(out, order, ch); err != nil {
			return nil, fmt.Errorf("menus: edit locale: %q: %w", ch.Key, err)
		}
	}
	return out, nil
}

// span is where one entry of `strings:` lies: lines [start, end), 0-based.
type span struct {
	key        string
	start, end int
	indent     int
	comment    string // a comment at the end of a one-line entry
}

func editOne(src []byte, order []string, ch Change) ([]byte, error) {
	spans, stringsLine, err := stringSpans(src)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(src), "\n")
	i := slices.IndexFunc(spans, func(s span) bool { return s.key == ch.Key })
	var repl string
	var at, until int
	switch {
	case i >= 0:
		s := spans[i]
		repl = renderEntry(ch, s.indent, s.end-s.start > 1, s.comment)
		at, until = s.start, s.end
	default:
		indent := 2
		if len(spans) > 0 {
			indent = spans[0].indent
		}
		repl = renderEntry(ch, indent, false, "")
		at = stringsLine + 1
		if prev := precedingSpan(spans, order, ch.Key); prev != nil {
			at = prev.end
		}
		until = at
	}
	if at > 0 && at <= len(lines) && !strings.HasSuffix(lines[at-1], "\n") {
		lines[at-1] += "\n" // the file ended without a newline
	}
	next := slices.Concat(lines[:min(at, len(lines))], []string{repl}, lines[min(until, len(lines)):])
	result := []byte(strings.Join(next, ""))
	if err := checkEdited(result, ch); err != nil {
		return nil, err
	}
	return result, nil
}

// precedingSpan is the entry of the nearest key before key in order that
// the file has.
func precedingSpan(spans []span, order []string, key string) *span {
	pos := slices.Index(order, key)
	for j := pos - 1; j >= 0; j-- {
		if k := slices.IndexFunc(spans, func(s span) bool { return s.key == order[j] }); k >= 0 {
			return &spans[k]
		}
	}
	return nil
}

// stringSpans locates every entry of the block mapping `strings:`, and
// the 0-based line of `strings:` itself.
func stringSpans(src []byte) ([]span, int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, 0, fmt.Errorf("YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, 0, errors.New("empty file")
	}
	root := doc.Content[0]
	key := keyNode(root, "strings")
	strs := valueOf(root, "strings")
	if key == nil || strs == nil || strs.Kind != yaml.MappingNode || strs.Style&yaml.FlowStyle != 0 {
		return nil, 0, errors.New("no block mapping `strings:`")
	}
	lines := strings.SplitAfter(string(src), "\n")
	// The block ends at the next top-level key, or at the end of the file.
	blockEnd := len(lines)
	for _, kv := range pairs(root) {
		if kv[0].Line > key.Line {
			blockEnd = min(blockEnd, kv[0].Line-1)
		}
	}
	ps := pairs(strs)
	out := make([]span, 0, len(ps))
	for i, kv := range ps {
		end := blockEnd
		if i+1 < len(ps) {
			end = ps[i+1][0].Line - 1
		}
		start := kv[0].Line - 1
		// Blank and comment lines before the next entry belong to it.
		for end > start+1 && isBlankOrComment(lines[end-1]) {
			end--
		}
		s := span{key: kv[0].Value, start: start, end: end, indent: kv[0].Column - 1}
		if end-start == 1 {
			s.comment = cmp.Or(kv[0].LineComment, kv[1].LineComment)
		}
		out = append(out, s)
	}
	return out, key.Line - 1, nil
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

// renderEntry writes one entry of `strings:`. strconv.Quote of valid UTF-8
// is a YAML double-quoted scalar: the same escapes, \u for the rest.
func renderEntry(ch Change, indent int, block bool, comment string) string {
	pad := strings.Repeat(" ", indent)
	text := strconv.Quote(ch.Text)
	reviewed := strconv.FormatBool(ch.Reviewed)
	if block {
		return pad + ch.Key + ":\n" + pad + "  text: " + text + "\n" + pad + "  reviewed: " + reviewed + "\n"
	}
	line := pad + ch.Key + ": {text: " + text + ", reviewed: " + reviewed + "}"
	if comment != "" {
		line += "  " + comment
	}
	return line + "\n"
}

// checkEdited reads the edited file back: the key must hold the new text.
func checkEdited(src []byte, ch Change) error {
	var f struct {
		Strings map[string]yaml.Node `yaml:"strings"`
	}
	if err := yaml.Unmarshal(src, &f); err != nil {
		return fmt.Errorf("the edited file does not parse: %w", err)
	}
	var got struct {
		Text     string `yaml:"text"`
		Reviewed bool   `yaml:"reviewed"`
	}
	n, ok := f.Strings[ch.Key]
	if !ok || n.Decode(&got) != nil || got.Text != ch.Text || got.Reviewed != ch.Reviewed {
		return errors.New("the edited file does not read back the new text")
	}
	return nil
}
