package menus

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/numerovert/hotline/menus/gsm7"
)

func (s *source) readLocales(fsys fs.FS) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		s.errorf(".", 0, "cannot list locales: %v", err)
		return
	}
	for _, file := range files {
		if file == treeFile {
			continue
		}
		if l := s.readLocale(fsys, file); l != nil {
			s.locales = append(s.locales, l)
		}
	}
	slices.SortStableFunc(s.locales, func(a, b *locale) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return strings.Compare(a.code, b.code)
	})
	if len(s.locales) == 0 {
		s.errorf(".", 0, "no locale files (<lang>.yaml)")
	}
}

func (s *source) readLocale(fsys fs.FS, file string) *locale {
	l := &locale{file: file, order: defaultOrder, strings: map[string]string{}, reviewed: map[string]bool{},
		borrowed: map[string]bool{}, awaiting: map[string]int{}, lines: map[string]int{}, textLines: map[string]int{}}
	root := s.parseYAML(fsys, file)
	if root == nil {
		return nil
	}
	errs := s.errCount()
	s.checkFields(file, root, "locale", "language", "name", "order", "tts", "gsm7", "awaiting", "strings", "sms")
	code := strings.TrimSuffix(path.Base(file), ".yaml")
	if v := valueOf(root, "language"); v == nil || v.Value == "" {
		s.errorf(file, root.Line, "missing `language:`")
	} else if v.Value != code {
		s.errorf(file, v.Line, "language %q does not match the file name %q", v.Value, file)
	}
	l.code = code
	if v := valueOf(root, "name"); v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
		s.errorf(file, root.Line, "missing `name:` (the language named in itself)")
	} else {
		l.name = v.Value
	}
	if v := valueOf(root, "order"); v != nil {
		s.decode(file, v, &l.order)
	}
	if v := valueOf(root, "tts"); v != nil {
		if v.Kind != yaml.ScalarNode || !ttsRE.MatchString(v.Value) {
			s.errorf(file, v.Line, "`tts` must be a BCP-47 language of a text-to-speech voice, e.g. fr-FR")
		} else {
			l.tts = v.Value
		}
	}
	if v := valueOf(root, "gsm7"); v != nil {
		s.readSpelling(file, v, l)
	}
	if v := valueOf(root, "awaiting"); v != nil {
		s.readAwaiting(file, v, l)
	}
	if v := valueOf(root, "sms"); v != nil {
		if v.Kind != yaml.MappingNode {
			s.errorf(file, v.Line, "`sms` must be a mapping of SMS replies and keywords (see fr.yaml)")
		} else {
			l.sms = v
		}
	}
	strs := valueOf(root, "strings")
	if strs == nil || strs.Kind != yaml.MappingNode {
		s.errorf(file, lineOf(root, "strings"), "missing `strings:` mapping")
		l.broken = true
		return l
	}
	l.stringsLine = keyNode(root, "strings").Line
	for _, kv := range pairs(strs) {
		key, v := kv[0].Value, kv[1]
		if first, dup := l.lines[key]; dup {
			s.errorf(file, kv[0].Line, "duplicate string key %q (first at line %d)", key, first)
			continue
		}
		l.lines[key] = kv[0].Line
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag != "!!str" {
				s.errorf(file, v.Line, "string %q: expected text, got %s", key, v.Tag)
				continue
			}
			l.strings[key], l.textLines[key] = v.Value, v.Line
		case yaml.MappingNode:
			s.checkFields(file, v, "string "+strconv.Quote(key), "text", "reviewed")
			var e struct {
				Text     *string `yaml:"text"`
				Reviewed bool    `yaml:"reviewed"`
			}
			if !s.decode(file, v, &e) {
				continue
			}
			if e.Text == nil {
				s.errorf(file, v.Line, "string %q: missing `text`", key)
				continue
			}
			l.strings[key], l.reviewed[key], l.textLines[key] = *e.Text, e.Reviewed, lineOf(v, "text")
		default:
			s.errorf(file, v.Line, "string %q: expected text or {text, reviewed}", key)
			continue
		}
		if strings.TrimSpace(l.strings[key]) == "" {
			s.errorf(file, kv[0].Line, "string %q is empty", key)
		}
	}
	if s.errCount() > errs {
		l.broken = true
	}
	return l
}

// readSpelling reads `gsm7: {ɛ: è, ɔ: ò}`, the letters of the locale
// written in GSM-7 when a screen does not fit in UCS-2.
func (s *source) readSpelling(file string, v *yaml.Node, l *locale) {
	if v.Kind != yaml.MappingNode {
		s.errorf(file, v.Line, "`gsm7` must map letters to their GSM-7 spelling, e.g. {ɛ: è, ɲ: ny}")
		l.broken = true
		return
	}
	table := map[string]string{}
	ok := true
	for _, kv := range pairs(v) {
		k, val := kv[0].Value, kv[1]
		if val.Kind != yaml.ScalarNode {
			s.errorf(file, val.Line, "gsm7: %q must map to text", k)
			ok = false
			continue
		}
		// Check each letter alone, to report the line it is on.
		if _, err := gsm7.NewSpelling(map[string]string{k: val.Value}); err != nil {
			s.errorf(file, kv[0].Line, "%s", strings.TrimPrefix(err.Error(), "gsm7: spelling: "))
			ok = false
			continue
		}
		if _, dup := table[k]; dup {
			s.errorf(file, kv[0].Line, "gsm7: letter %q given twice", k)
			ok = false
			continue
		}
		table[k] = val.Value
	}
	if !ok {
		l.broken = true
		return
	}
	sp, err := gsm7.NewSpelling(table)
	if err != nil {
		s.errorf(file, v.Line, "%v", err)
		l.broken = true
		return
	}
	l.spelling = sp
}

// readAwaiting reads `awaiting: [key, ...]`: strings knowingly left to the
// fallback locale (say why in a comment), which `menus lint --strict`
// accepts.
func (s *source) readAwaiting(file string, v *yaml.Node, l *locale) {
	if v.Kind != yaml.SequenceNode {
		s.errorf(file, v.Line, "`awaiting` must list string keys, e.g. [category.sea]")
		return
	}
	for _, k := range v.Content {
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			s.errorf(file, k.Line, "`awaiting`: expected a string key")
			continue
		}
		l.awaiting[k.Value] = k.Line
	}
}

func keyNode(m *yaml.Node, key string) *yaml.Node {
	for _, kv := range pairs(m) {
		if kv[0].Value == key {
			return kv[0]
		}
	}
	return nil
}

var ttsRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// usedKeys lists the string keys the tree needs, each with the placeholders
// allowed in it.
func (t *tree) usedKeys() map[string][]string {
	fields := []string{phPlace}
	for _, n := range t.nodes {
		if n.Field != "" {
			fields = append(fields, n.Field)
		}
	}
	used := map[string][]string{}
	for _, key := range t.messages {
		used[key] = nil
	}
	if key, ok := t.messages[msgPIN]; ok {
		used[key] = []string{phCode}
	}
	for _, n := range t.nodes {
		switch n.Kind {
		case kindEnd:
			used[n.Prompt] = []string{phReference, phPIN, phDays, phStatus, phResponse, phServices}
		default:
			used[n.Prompt] = fields
		}
		for _, o := range n.allOptions() {
			used[o.Label] = nil
		}
	}
	// What the gateway shows on the information line (info.go).
	for _, k := range InfoStrings {
		used[k] = nil
	}
	// What calls say besides the tree's strings (voice.go).
	for _, k := range voiceStrings {
		used[k] = nil
	}
	for _, k := range digitKeys() {
		used[k] = nil
	}
	for _, k := range StaffStrings { // staff.go: the staff voice entry
		used[k] = nil
	}
	for _, k := range AnswerKeys {
		used[k] = []string{phReference}
	}
	for _, k := range smsCallBackStrings { // callback.go: the call-back offer by SMS
		used[k] = []string{PhKeyword}
	}
	return used
}

// fallbackLocale is the locale that fills the gaps of the others.
func (s *source) fallbackLocale() *locale {
	for _, l := range s.locales {
		if l.code == s.tree.fallback || s.tree.fallback == "" {
			return l
		}
	}
	return nil
}

// checkStrings reports, per locale, missing and unknown keys and unknown
// placeholders. A string missing from the fallback locale is an error; one
// missing elsewhere is a warning, and the fallback's text fills the gap so
// that no screen is ever empty.
func (s *source) checkStrings() {
	used := s.tree.usedKeys()
	keys := make([]string, 0, len(used))
	for k := range used {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fb := s.fallbackLocale()
	if fb == nil {
		if len(s.locales) > 0 {
			s.errorf(treeFile, s.tree.fallbackLine, "fallback locale %q has no file %s.yaml", s.tree.fallback, s.tree.fallback)
			s.treeBad = true
		}
		return
	}
	// The fallback first: the others borrow from it.
	order := append([]*locale{fb}, slices.DeleteFunc(slices.Clone(s.locales), func(l *locale) bool { return l == fb })...)
	for _, l := range order {
		for _, k := range keys {
			text, ok := l.strings[k]
			if !ok {
				if fbText, has := fb.strings[k]; l != fb && has {
					s.gap(l, k, fb.code)
					l.strings[k], l.borrowed[k] = fbText, true
					continue
				}
				s.errorf(l.file, l.stringsLine, "missing string %q", k)
				l.broken = true
				continue
			}
			for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
				if !slices.Contains(used[k], m[1]) {
					s.errorf(l.file, l.textLines[k], "string %q: unknown placeholder {%s}", k, m[1])
					l.broken = true
				}
			}
		}
		s.checkAwaiting(l, used)
		extra := []string{}
		for k := range l.strings {
			if _, ok := used[k]; !ok {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		for _, k := range extra {
			s.warnf(l.file, l.lines[k], "unknown string key %q (not used by %s)", k, treeFile)
		}
	}
}

// gap reports key missing from l: a Gap (an error under --strict) unless
// the file lists it under `awaiting:`.
func (s *source) gap(l *locale, key, fallback string) {
	if staffOnly(key) {
		s.warnf(l.file, l.stringsLine, "missing string %q (staff only: they hear the %s text)", key, fallback)
		return
	}
	if line, ok := l.awaiting[key]; ok {
		s.warnf(l.file, line, "missing string %q, awaiting (callers see the %s text)", key, fallback)
		return
	}
	s.problems = append(s.problems, Problem{File: l.file, Line: l.stringsLine, Warning: true, Gap: true,
		Msg: fmt.Sprintf("missing string %q (callers see the %s text; draft it, or list it under `awaiting:`)", key, fallback)})
}

// checkAwaiting warns about `awaiting:` keys that are no longer awaited:
// translated since, or not used by the tree.
func (s *source) checkAwaiting(l *locale, used map[string][]string) {
	keys := slices.Sorted(maps.Keys(l.awaiting))
	for _, k := range keys {
		switch _, isUsed := used[k]; {
		case !isUsed:
			s.warnf(l.file, l.awaiting[k], "awaiting %q, which %s does not use", k, treeFile)
		case !l.borrowed[k]:
			s.warnf(l.file, l.awaiting[k], "awaiting %q, which is translated: remove it from `awaiting:`", k)
		}
	}
}
