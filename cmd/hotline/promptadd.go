package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/numerovert/hotline/internal/promptaudio"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/menus"
)

// promptsDir is where prompts recorded after the build live:
// DATA/audio/<lang>/<key>.wav, over the locales' own (the layered audio).
const promptsDir = "audio"

// maxPromptFile bounds what `prompts add` reads: a two-minute WAV at
// 48 kHz stereo is 23 MB.
const maxPromptFile = 32 << 20

// addPrompt converts file into the prompt key of lang and writes it under
// dataDir (which must hold the hotline's data already: writing into an
// empty one would make the next start take it for an old one). It returns
// what was done, for the operator.
func addPrompt(cat *menus.Catalog, dataDir, lang, key, file string) (string, error) {
	if !cat.HasLanguage(lang) {
		return "", fmt.Errorf("prompts add: %q is not a language of the catalogue (%v)", lang, cat.Languages())
	}
	if !slices.ContainsFunc(cat.Script(), func(l menus.ScriptLine) bool { return l.Lang == lang && l.Key == key }) {
		return "", fmt.Errorf("prompts add: %q is not a prompt calls play (hotline prompts script --lang %s lists them)", key, lang)
	}
	if _, ok, err := keystore.ReadBinding(dataDir); err != nil || !ok {
		return "", fmt.Errorf("prompts add: %s holds no hotline data (start the hotline once first): %v", dataDir, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("prompts add: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPromptFile+1))
	if err != nil {
		return "", fmt.Errorf("prompts add: %s: %w", file, err)
	}
	if len(data) > maxPromptFile {
		return "", fmt.Errorf("prompts add: %s is over %d MB", file, maxPromptFile>>20)
	}
	c, err := promptaudio.Convert(data)
	if err != nil {
		return "", fmt.Errorf("prompts add: %s: %w", file, err)
	}
	dir := filepath.Join(dataDir, promptsDir, lang)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("prompts add: %w", err)
	}
	out := filepath.Join(dir, key+".wav")
	if err := writeFileAtomic(out, c.WAV); err != nil {
		return "", fmt.Errorf("prompts add: %w", err)
	}
	note := fmt.Sprintf("%s/%s.wav: %.1f s (%s at %d Hz; %.1f s of silence cut; gain %+.1f dB); calls play it from the next start",
		lang, key, c.Seconds, c.Format, c.InRate, c.Trimmed, c.GainDB)
	if c.Clipping {
		note += "\nwarning: the recording reaches full scale (recorded too loud): its distortion stays; record it again a little further from the phone"
	}
	return note, nil
}

// layeredFS reads top, then base: the prompts added at run time over the
// ones shipped with the locales.
type layeredFS struct{ top, base fs.FS }

func (l layeredFS) Open(name string) (fs.File, error) {
	if f, err := l.top.Open(name); err == nil {
		return f, nil
	}
	return l.base.Open(name)
}

// ReadDir merges both layers' entries (top's win), so walking the tree
// lists every prompt once.
func (l layeredFS) ReadDir(name string) ([]fs.DirEntry, error) {
	top, errTop := fs.ReadDir(l.top, name)
	base, errBase := fs.ReadDir(l.base, name)
	if errTop != nil && errBase != nil {
		return nil, errBase
	}
	if errTop != nil && !errors.Is(errTop, fs.ErrNotExist) {
		return nil, errTop
	}
	out := slices.Clone(top)
	for _, e := range base {
		if !slices.ContainsFunc(top, func(t fs.DirEntry) bool { return t.Name() == e.Name() }) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int {
		if a.Name() < b.Name() {
			return -1
		}
		return 1
	})
	return out, nil
}
