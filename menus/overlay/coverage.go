package overlay

// Coverage is how far one language is: strings, recordings, and what a
// caller of it still hears in French.
type Coverage struct {
	Lang, Name           string
	Strings              int // strings of the catalogue
	Translated, Reviewed int // of those: the language's own, checked by a native speaker
	Prompts              int // recordings calls may play (the prompt script)
	Recorded             int // of those: a recording exists (shipped or made at run time)
	RecordedReviewed     int // of those made at run time: checked by a native speaker
	French               int // prompts a caller of this language hears in French
	Minimum, MinimumDone int // the minimum voice set, and how much of it is recorded
}

// Coverage lists every language in menu order.
func (s *Store) Coverage() ([]Coverage, error) {
	c := s.Catalog()
	var out []Coverage
	for _, lang := range c.Languages() {
		cv := Coverage{Lang: lang, Name: c.LanguageName(lang)}
		es, err := c.Entries(lang)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			cv.Strings++
			if e.Text != "" {
				cv.Translated++
			}
			if e.Text != "" && e.Reviewed {
				cv.Reviewed++
			}
		}
		made, err := s.Recordings(lang)
		if err != nil {
			return nil, err
		}
		recorded := map[string]bool{}
		for _, l := range c.Script() {
			if l.Lang != lang {
				continue
			}
			cv.Prompts++
			state, r := s.AudioState(lang, l.Key, made)
			switch {
			case state != AudioNone:
				cv.Recorded++
				recorded[l.Key] = true
				if r.Reviewed {
					cv.RecordedReviewed++
				}
			case lang != c.Fallback() && (c.TTS(lang) == "" || l.Borrowed):
				cv.French++ // the French recording or voice says it
			}
		}
		for _, k := range s.MinimumVoice(lang) {
			cv.Minimum++
			if recorded[k] {
				cv.MinimumDone++
			}
		}
		out = append(out, cv)
	}
	return out, nil
}
