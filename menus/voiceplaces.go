package menus

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// MaxVoiceWords bounds what one voice place screen says before the caller
// presses a key: the question, then "<place> <press> <digit>" for each
// place and "<next> <press> 9". A longer list is paged by voice ("9 for
// the next"); Lint reports a screen that cannot be brought under it.
const MaxVoiceWords = 15

// WithVoiceCercles is c with the cercles the deployment works in (its
// programmes', teams' and localities' cercles): a call's region question
// offers them first, each by name, then the regions on the next pages
// and "other", so a caller in Ansongo presses one key, not two. codes
// must be cercles of places.csv; screens (USSD) keep region then cercle.
func (c *Catalog) WithVoiceCercles(codes []string) (*Catalog, error) {
	var keep []string
	for _, code := range codes {
		p, ok := c.places.byCode[code]
		if !ok || p.level != 2 {
			return nil, fmt.Errorf("menus: voice cercle %q is not a cercle of places.csv", code)
		}
		if !slices.Contains(keep, code) {
			keep = append(keep, code)
		}
	}
	out := *c
	out.voiceCercles = keep
	return &out, nil
}

// VoiceCercles lists the cercles a call offers first (WithVoiceCercles).
func (c *Catalog) VoiceCercles() []string { return slices.Clone(c.voiceCercles) }

// voiceCercleItems are the deployment's cercles as items of a region
// question on a call: choosing one answers the cercle too.
func (c *Catalog) voiceCercleItems() []item {
	var out []item
	for _, code := range c.voiceCercles {
		p := c.places.byCode[code]
		out = append(out, item{value: p.code, label: p.name, region: p.parent})
	}
	return out
}

// words counts spoken words the way a listener does: what spaces separate.
func words(s string) int { return len(strings.Fields(s)) }

// voiceQuestion is the prompt key a call says for n on page: "where?"
// over the deployment's cercles, else the node's own question.
func (e *Engine) voiceQuestion(n *nodeDef, page int) string {
	if n.Kind == kindPlace && n.Level == 1 && page == 0 && len(e.cat.voiceCercles) > 0 {
		return VoicePlace
	}
	return n.Prompt
}

// voiceWords is how many words a call says on place screen s: the
// question, then "<label> <press> <digit>" for each key but back and
// previous, which a place list does not read (they still work).
func (e *Engine) voiceWords(s Screen) int {
	press := words(e.cat.Text(s.Lang, VoicePress))
	n := words(s.Prompt)
	if en := e.nodes[s.Node]; en != nil && e.voiceQuestion(en.def, 0) == VoicePlace {
		n = max(n, words(e.cat.Text(s.Lang, VoicePlace)))
	}
	for _, o := range s.Options {
		if o.Key == KeyBack || o.Key == KeyPrev {
			continue
		}
		n += words(o.Label) + press + 1
	}
	return n
}

// voiceFits pages a call's place lists by MaxVoiceWords; other screens
// are not paged by voice.
func (e *Engine) voiceFits(s Screen) bool {
	en := e.nodes[s.Node]
	if en == nil || en.def.Kind != kindPlace {
		return true
	}
	return e.voiceWords(s) <= MaxVoiceWords
}

// chooseVoiceCercle answers a region question with one of the
// deployment's cercles: the region and the cercle both, then on to the
// question after the cercle's (the commune or site, where listed).
func (e *Engine) chooseVoiceCercle(st State, en *enode, it item) Turn {
	for _, n := range e.cat.tree.nodes {
		if n.Kind == kindPlace && n.Level == 2 && n.Parent == en.def.Field {
			ans := map[string]string{en.def.Field: it.region, n.Field: it.value}
			return e.answerAll(st, ans, n.Next)
		}
	}
	return e.answer(st, en, en.def.Field, it.region, nil)
}

// CheckVoiceWords reports, per language, each voice place list (with
// the deployment's cercles where the catalog has them, WithVoiceCercles)
// whose page says more than MaxVoiceWords: errors, located at the
// question's line in the locale file.
func (c *Catalog) CheckVoiceWords() []Problem {
	e := NewEngine(c, nil).ForTheEar()
	var out []Problem
	for _, l := range c.locales {
		el := e.langs[l.code]
		for _, n := range c.tree.nodes {
			if n.Kind != kindPlace {
				continue
			}
			keys := slices.Sorted(maps.Keys(el.menus))
			for _, key := range keys {
				if key != n.ID && !strings.HasPrefix(key, n.ID+"\x00") {
					continue
				}
				if p, bad := e.overWords(el, n, key, l); bad {
					out = append(out, p)
					break
				}
			}
		}
	}
	return out
}

// overWords reports the first page of list key of n that says too much.
func (e *Engine) overWords(el *elang, n *nodeDef, key string, l *locale) (Problem, bool) {
	for i, pg := range el.menus[key].pages {
		sc := Screen{Lang: l.code, Node: n.ID, Prompt: el.prompts[n.ID], Options: pg.options}
		if w := e.voiceWords(sc); w > MaxVoiceWords {
			list := n.ID
			if _, parent, ok := strings.Cut(key, "\x00"); ok {
				list += " of " + parent
			}
			return Problem{File: l.file, Line: l.lines[n.Prompt], Msg: fmt.Sprintf("voice: %s page %d says %d words, over %d (shorten %s, %s or a place name)",
				list, i+1, w, MaxVoiceWords, n.Prompt, VoicePress)}, true
		}
	}
	return Problem{}, false
}
