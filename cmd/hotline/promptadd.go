package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"

	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/menus/overlay"
)

// promptsDir is where prompts recorded after the build live:
// DATA/audio/<lang>/<key>.wav, over the locales' own (the layered audio).
const promptsDir = overlay.AudioDir

// addPrompt converts file into the prompt key of lang and stores it under
// dataDir through the language studio's store (overlay.Store.SaveRecording,
// the one writer of recordings made after the build: the studio shows it,
// with its history, as it shows an upload). dataDir must hold the
// hotline's data already: writing into an empty one would make the next
// start take it for an old one; and the server must be stopped (studio.db
// is locked while it serves: the studio's upload is the way then). It
// returns what was done, for the operator.
func addPrompt(ctx context.Context, localesDir, dataDir, lang, key, file string) (string, error) {
	st, err := openPromptStore(localesDir, dataDir)
	if err != nil {
		return "", fmt.Errorf("prompts add: %w", err)
	}
	defer st.Close()
	cat := st.Catalog()
	if !cat.HasLanguage(lang) {
		return "", fmt.Errorf("prompts add: %q is not a language of the catalogue (%v)", lang, cat.Languages())
	}
	if !st.Playable(lang, key) {
		return "", fmt.Errorf("prompts add: %q is not a prompt calls play (hotline prompts script --lang %s lists them)", key, lang)
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("prompts add: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, overlay.MaxRecording+1))
	if err != nil {
		return "", fmt.Errorf("prompts add: %s: %w", file, err)
	}
	if len(data) > overlay.MaxRecording {
		return "", fmt.Errorf("prompts add: %s is over %d MB", file, overlay.MaxRecording>>20)
	}
	c, err := st.SaveRecording(ctx, "hotline prompts add", lang, key, data)
	if err != nil {
		return "", fmt.Errorf("prompts add: %s: %w", file, err)
	}
	note := fmt.Sprintf("%s/%s.wav: %.1f s (%s at %d Hz; %.1f s of silence cut; gain %+.1f dB); calls play it from the next start",
		lang, key, c.Seconds, c.Format, c.InRate, c.Trimmed, c.GainDB)
	if c.Clipping {
		note += "\nwarning: the recording reaches full scale (recorded too loud): its distortion stays; record it again a little further from the phone"
	}
	return note, nil
}

// openPromptStore opens the studio's store of dataDir, which must already
// hold the hotline's data.
func openPromptStore(localesDir, dataDir string) (*overlay.Store, error) {
	if _, ok, err := keystore.ReadBinding(dataDir); err != nil || !ok {
		return nil, fmt.Errorf("%s holds no hotline data (start the hotline once first): %v", dataDir, err)
	}
	st, err := overlay.Open(overlay.Options{DataDir: dataDir, Base: localesFS(localesDir), ShippedAudio: audioFS(localesDir),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return st, nil
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
