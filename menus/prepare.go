package menus

import "github.com/numerovert/hotline/menus/gsm7"

// sp writes s in el's GSM-7 spelling, from the cache of the locale's own
// strings when it is one of them.
func (el *elang) sp(s string) string {
	if g, ok := el.gsm[s]; ok {
		return g
	}
	return el.spelling.Apply(s)
}

func (e *Engine) prepare(l *locale) *elang {
	t := e.cat.tree
	str := func(key string) string { return l.strings[key] }
	el := &elang{
		code:         l.code,
		invalid:      str(t.messages[msgInvalid]),
		cancelled:    str(t.messages[msgCancelled]),
		noDetail:     str(t.messages[msgNoDetail]),
		saveFailed:   str(t.messages[msgSaveFailed]),
		backLbl:      str(t.messages[msgBack]),
		prevLbl:      str(t.messages[msgPrev]),
		nextLbl:      str(t.messages[msgNext]),
		skipLbl:      str(t.messages[msgSkip]),
		langLbl:      str(t.messages[msgLanguage]),
		continueLbl:  str(t.messages[msgContinue]),
		restartLbl:   str(t.messages[msgRestart]),
		resumePrompt: str(t.messages[msgResume]),
		pinText:      str(t.messages[msgPIN]),
		asBefore:     str(t.messages[msgAsBefore]),
		statuses: map[string]string{
			"received":    str(t.messages[msgReceived]),
			"in_progress": str(t.messages[msgInProgress]),
			"answered":    str(t.messages[msgAnswered]),
			"closed":      str(t.messages[msgClosed]),
		},
		spelling: l.spelling,
		prompts:  map[string]string{},
		labels:   map[string]map[string]string{},
		menus:    map[string]*menu{},
		skips:    map[string][]string{},
	}
	el.notices = []string{"", el.invalid, el.cancelled}
	el.gsm = make(map[string]string, len(l.strings))
	for _, text := range l.strings {
		el.gsm[text] = l.spelling.Apply(text)
	}
	for _, n := range t.nodes {
		for _, o := range n.Skips {
			el.skips[n.ID] = append(el.skips[n.ID], str(o.Label))
		}
		el.prompts[n.ID] = str(n.Prompt)
		if promise := str(t.messages[msgPromise]); n.ID == e.first && promise != "" {
			// Said up front, right after the language: free, number not
			// kept, read by an independent team. Part of the screen, so
			// paging and the lint measure it.
			el.prompts[n.ID] = promise + "\n" + el.prompts[n.ID]
		}
		en := e.nodes[n.ID]
		lists := e.nodeItems(str, n) // parent → items
		for parent, items := range lists {
			m := &menu{items: items}
			m.pages = e.paginate(el, en, items)
			el.menus[menuKey(n.ID, parent)] = m
			if n.Field != "" {
				if el.labels[n.Field] == nil {
					el.labels[n.Field] = map[string]string{}
				}
				for _, it := range items {
					el.labels[n.Field][it.value] = it.label
				}
			}
		}
	}
	return el
}

// nodeItems lists what a node offers in one language, by parent (a
// region's code for cercle lists, "" for everything else): the languages,
// a choice's options, or the places with "other / I don't know" last.
func (e *Engine) nodeItems(str func(string) string, n *nodeDef) map[string][]item {
	c := e.cat
	switch n.Kind {
	case kindLanguage:
		var items []item
		for _, loc := range c.locales {
			// Each name is spelled in its own locale's GSM-7 spelling.
			items = append(items, item{value: loc.code, label: loc.name, spelling: loc.spelling})
		}
		return map[string][]item{"": items}
	case kindChoice:
		var items []item
		for _, o := range n.Options {
			items = append(items, item{value: o.Value, label: str(o.Label), opt: o})
		}
		return map[string][]item{"": items}
	case kindPlace:
		other := item{value: n.Other.Value, label: str(n.Other.Label), opt: n.Other}
		if n.Level == 1 {
			var items []item
			if e.forTheEar {
				items = c.voiceCercleItems() // a call: the deployment's cercles first
			}
			for _, p := range c.places.regions {
				items = append(items, item{value: p.code, label: p.name})
			}
			return map[string][]item{"": append(items, other)}
		}
		// A list per parent place (a region's cercles, a cercle's
		// localities), then other.
		lists := map[string][]item{anyParent: {other}}
		for code, kids := range c.places.children {
			if c.places.byCode[code].level != n.Level-1 {
				continue
			}
			var items []item
			for _, p := range kids {
				items = append(items, item{value: p.code, label: p.name})
			}
			lists[code] = append(items, other)
		}
		return lists
	}
	return nil
}

// paginate splits items into pages of at most MaxPageItems that each fit,
// with every notice the screen may carry. An item too long to fit even alone
// still gets its page (Lint reports it).
func (e *Engine) paginate(el *elang, en *enode, items []item) []page {
	var pages []page
	for start := 0; start < len(items) || (start == 0 && len(pages) == 0); {
		var pg page
		for k := min(MaxPageItems, len(items)-start); ; k-- {
			pg = e.buildPage(el, en, items, start, start+k, len(pages) > 0)
			if k <= 1 || e.pageFits(el, en, pg) {
				break
			}
		}
		pages = append(pages, pg)
		if pg.end <= start { // no items at all
			break
		}
		start = pg.end
	}
	return pages
}

func (e *Engine) buildPage(el *elang, en *enode, items []item, start, end int, prev bool) page {
	pg := page{start: start, end: end, prev: prev, next: end < len(items)}
	add := func(key, label string, sp *gsm7.Spelling) {
		pg.options = append(pg.options, Option{Key: key, Label: label})
		pg.gsm7 = append(pg.gsm7, Option{Key: key, Label: sp.Apply(label)})
	}
	for i := start; i < end; i++ {
		sp := el.spelling
		if items[i].spelling != nil {
			sp = items[i].spelling
		}
		add(string(rune('1'+i-start)), items[i].label, sp)
	}
	if pg.prev {
		add(KeyPrev, el.prevLbl, el.spelling)
	}
	if pg.next {
		add(KeyNext, el.nextLbl, el.spelling)
	}
	if en.back {
		add(KeyBack, e.backLabel(el, en), el.spelling)
	}
	return pg
}

// backLabel names KeyBack on en: on the first question it leads to the
// language screen, so it says so; that is the one-key way for a caller
// who starts in a remembered language to change it.
func (e *Engine) backLabel(el *elang, en *enode) string {
	if e.langStart && en.def.ID == e.first {
		return el.langLbl
	}
	return el.backLbl
}

// pageFits reports whether the page fits with every notice, in the proper
// spelling or else in the GSM-7 one: a page holds as many items as either
// spelling allows, since fewer pages save the caller time.
func (e *Engine) pageFits(el *elang, en *enode, pg page) bool {
	for _, notice := range el.notices {
		s := Screen{Lang: el.code, Node: en.def.ID, Notice: notice, Prompt: el.prompts[en.def.ID], Options: pg.options}
		if e.fits(s) {
			continue
		}
		s.Notice, s.Prompt, s.Options, s.GSM7 = el.spelling.Apply(notice), el.spelling.Apply(s.Prompt), pg.gsm7, true
		if !e.fits(s) {
			return false
		}
	}
	return true
}
