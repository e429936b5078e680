// Package po reads and writes gettext PO files, the format translation
// teams' tools use (Weblate, Poedit, RapidPro's exports): one entry per
// string, a context (msgctxt), the source (msgid), the translation
// (msgstr) and the "fuzzy" flag for a translation still to be checked.
//
// It handles what `hotline locales export` writes and what those tools
// write back: comments, flags, references, contexts and multi-line
// strings. Plural forms (msgid_plural) are refused: the hotline has none.
// Obsolete entries (#~) and previous-source comments (#|) are skipped.
// It must never import anything of this module.
package po

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Entry is one message.
type Entry struct {
	Context string // msgctxt; "" when absent
	ID      string // msgid: the source text
	Str     string // msgstr: the translation; "" when untranslated
	Fuzzy   bool   // "#, fuzzy": a translation to check
	// Comments are the extracted comments ("#. "), one per line.
	Comments []string
}

// Header is one "Name: value" line of the header entry, in order.
type Header struct{ Name, Value string }

// File is a PO file: its header entry and its messages.
type File struct {
	Comments []string // the header's translator comments ("# ")
	Header   []Header
	Entries  []Entry
}

// HeaderValue returns the header's value for name ("" when absent).
func (f File) HeaderValue(name string) string {
	for _, h := range f.Header {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Write writes f. A string holding newlines is written one line per
// newline, after an empty first line, as gettext does.
func Write(w io.Writer, f File) error {
	bw := bufio.NewWriter(w)
	for _, c := range f.Comments {
		bw.WriteString(strings.TrimRight("# "+c, " ") + "\n")
	}
	var head strings.Builder
	for _, h := range f.Header {
		head.WriteString(h.Name + ": " + h.Value + "\n")
	}
	writeString(bw, "msgid", "")
	writeString(bw, "msgstr", head.String())
	for _, e := range f.Entries {
		if e.ID == "" {
			return errors.New("po: an entry with an empty msgid (only the header has one)")
		}
		bw.WriteString("\n")
		for _, c := range e.Comments {
			for _, line := range strings.Split(c, "\n") {
				bw.WriteString(strings.TrimRight("#. "+line, " ") + "\n")
			}
		}
		if e.Fuzzy {
			bw.WriteString("#, fuzzy\n")
		}
		if e.Context != "" {
			writeString(bw, "msgctxt", e.Context)
		}
		writeString(bw, "msgid", e.ID)
		writeString(bw, "msgstr", e.Str)
	}
	return bw.Flush()
}

func writeString(w *bufio.Writer, keyword, s string) {
	w.WriteString(keyword + " ")
	if !strings.Contains(strings.TrimSuffix(s, "\n"), "\n") {
		w.WriteString(quote(s) + "\n")
		return
	}
	w.WriteString(`""` + "\n")
	for s != "" {
		line, rest, found := strings.Cut(s, "\n")
		if found {
			line += "\n"
		}
		w.WriteString(quote(line) + "\n")
		s = rest
	}
}

// quote writes s as a PO string: the C escapes gettext reads.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\%03o`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Read parses a PO file. Errors name the line.
func Read(r io.Reader) (File, error) {
	p := &parser{sc: bufio.NewScanner(r)}
	p.sc.Buffer(make([]byte, 64*1024), 1<<20)
	f, err := p.file()
	if err != nil {
		return File{}, fmt.Errorf("po: line %d: %w", p.line, err)
	}
	return f, nil
}

type parser struct {
	sc   *bufio.Scanner
	line int
	// the entry being read
	cur      Entry
	comments []string // translator comments of the entry ("# ")
	field    *string  // the keyword whose continuation lines follow
	seen     map[string]bool
	started  bool
}

func (p *parser) file() (File, error) {
	var f File
	header := true
	flush := func() error {
		if !p.started {
			return nil
		}
		switch {
		case len(p.seen) == 0:
			// comments only (an obsolete #~ entry): nothing to keep
		case !p.seen["msgid"] || !p.seen["msgstr"]:
			return errors.New("an entry lacks msgid or msgstr")
		case header && p.cur.ID == "" && p.cur.Context == "":
			f.Comments = p.comments
			h, err := parseHeader(p.cur.Str)
			if err != nil {
				return err
			}
			f.Header = h
		case p.cur.ID == "":
			return errors.New("an entry with an empty msgid")
		default:
			f.Entries = append(f.Entries, p.cur)
		}
		header = false
		p.cur, p.comments, p.field, p.seen, p.started = Entry{}, nil, nil, nil, false
		return nil
	}
	for p.sc.Scan() {
		p.line++
		line := p.sc.Text()
		if p.line == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if !utf8.ValidString(line) {
			return File{}, errors.New("not UTF-8")
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if p.started && p.seen["msgstr"] {
				if err := flush(); err != nil {
					return File{}, err
				}
			}
			p.comment(line)
			continue
		}
		if err := p.keyword(line, flush); err != nil {
			return File{}, err
		}
	}
	if err := p.sc.Err(); err != nil {
		return File{}, err
	}
	if err := flush(); err != nil {
		return File{}, err
	}
	return f, nil
}

func (p *parser) comment(line string) {
	p.started = true
	switch {
	case strings.HasPrefix(line, "#,"):
		for _, flag := range strings.Split(line[2:], ",") {
			if strings.TrimSpace(flag) == "fuzzy" {
				p.cur.Fuzzy = true
			}
		}
	case strings.HasPrefix(line, "#."):
		p.cur.Comments = append(p.cur.Comments, strings.TrimPrefix(strings.TrimPrefix(line, "#."), " "))
	case strings.HasPrefix(line, "#:"), strings.HasPrefix(line, "#|"), strings.HasPrefix(line, "#~"):
		// references, previous source, obsolete entries: not kept
	default:
		p.comments = append(p.comments, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
	}
}

func (p *parser) keyword(line string, flush func() error) error {
	if strings.HasPrefix(line, `"`) {
		if p.field == nil {
			return errors.New("a string outside an entry")
		}
		s, err := unquote(line)
		if err != nil {
			return err
		}
		*p.field += s
		return nil
	}
	kw, rest, _ := strings.Cut(line, " ")
	if (kw == "msgctxt" || kw == "msgid") && p.seen["msgstr"] {
		if err := flush(); err != nil {
			return err
		}
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[kw] {
		return fmt.Errorf("%s given twice in one entry", kw)
	}
	switch kw {
	case "msgctxt":
		if p.seen["msgid"] {
			return errors.New("msgctxt after msgid")
		}
		p.field = &p.cur.Context
	case "msgid":
		p.field = &p.cur.ID
	case "msgstr":
		if !p.seen["msgid"] {
			return errors.New("msgstr before msgid")
		}
		p.field = &p.cur.Str
	case "msgid_plural":
		return errors.New("plural forms are not supported")
	default:
		if strings.HasPrefix(kw, "msgstr[") {
			return errors.New("plural forms are not supported")
		}
		return fmt.Errorf("unknown keyword %q", kw)
	}
	p.seen[kw], p.started = true, true
	s, err := unquote(strings.TrimSpace(rest))
	if err != nil {
		return err
	}
	*p.field = s
	return nil
}

// unquote reads one PO string literal.
func unquote(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", fmt.Errorf("expected a quoted string, got %q", s)
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			return "", errors.New(`an unescaped " inside a string`)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			return "", errors.New("a string ends with a backslash")
		}
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\\', '"', '\'', '?':
			b.WriteByte(s[i])
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n, j := 0, i
			for ; j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7'; j++ {
				n = n*8 + int(s[j]-'0')
			}
			if n > 0x7f {
				return "", errors.New("an octal escape beyond ASCII")
			}
			b.WriteByte(byte(n))
			i = j - 1
		default:
			return "", fmt.Errorf(`unknown escape \%c`, s[i])
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", errors.New("not UTF-8")
	}
	return b.String(), nil
}

func parseHeader(s string) ([]Header, error) {
	var out []Header
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("header line %q is not Name: value", line)
		}
		out = append(out, Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return out, nil
}
