package overlay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/google/renameio/v2"

	"github.com/numerovert/hotline/internal/promptaudio"
	"github.com/numerovert/hotline/menus"
)

// Recordings made at run time: the studio's uploads, over the shipped
// prompts, and the minimum voice set a language needs first.

// Recordings lists the recordings made at run time in lang, by key.
func (s *Store) Recordings(lang string) (map[string]Recording, error) {
	out := map[string]Recording{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecordings).ForEach(func(k, v []byte) error {
			l, key, _ := strings.Cut(string(k), "\x00")
			if l != lang {
				return nil
			}
			var r Recording
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("overlay: recording %s %s: %w", l, key, err)
			}
			out[key] = r
			return nil
		})
	})
	return out, err
}

// Playable reports whether calls play key (a line of the prompt script).
func (s *Store) Playable(lang, key string) bool {
	return slices.ContainsFunc(s.Catalog().Script(), func(l menus.ScriptLine) bool { return l.Lang == lang && l.Key == key })
}

// SaveRecording converts data (WAV, MP3; AMR, M4A, Ogg through ffmpeg
// when installed: promptaudio.ErrNeedsFFmpeg otherwise) into the prompt
// key of lang, writes it to DATA/audio/<lang>/<key>.wav and tells the
// OnAudio subscribers, so the next call plays it.
func (s *Store) SaveRecording(ctx context.Context, by, lang, key string, data []byte) (promptaudio.Converted, error) {
	if !s.Playable(lang, key) {
		return promptaudio.Converted{}, fmt.Errorf("%w: no prompt %q in %q", ErrNotFound, key, lang)
	}
	conv, err := s.writeAudio(ctx, lang, key, data)
	if err != nil {
		return promptaudio.Converted{}, err
	}
	r := Recording{By: by, At: s.o.Now().UTC(), Seconds: conv.Seconds}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketRecordings), editKey(lang, key), r); err != nil {
			return err
		}
		return s.record(tx, &Change{Lang: lang, Key: key, Action: ActionRecording, By: by, At: r.At})
	})
	if err != nil {
		return promptaudio.Converted{}, fmt.Errorf("overlay: recording %s %s: %w", lang, key, err)
	}
	s.notifyAudio()
	s.o.Logger.Info("studio: recording stored", "lang", lang, "key", key, "by", by, "seconds", conv.Seconds)
	return conv, nil
}

// writeAudio converts data and writes it as DATA/audio/<lang>/<name>.wav,
// the one place calls play run-time recordings from.
func (s *Store) writeAudio(ctx context.Context, lang, name string, data []byte) (promptaudio.Converted, error) {
	if len(data) > MaxRecording {
		return promptaudio.Converted{}, fmt.Errorf("overlay: the recording is over %d MB", MaxRecording>>20)
	}
	conv, err := promptaudio.Convert(data)
	if err != nil {
		return promptaudio.Converted{}, err
	}
	if err := ctx.Err(); err != nil {
		return promptaudio.Converted{}, err
	}
	dir := filepath.Join(s.o.DataDir, AudioDir, lang)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return promptaudio.Converted{}, fmt.Errorf("overlay: %w", err)
	}
	if err := renameio.WriteFile(filepath.Join(dir, name+".wav"), conv.WAV, 0o600); err != nil {
		return promptaudio.Converted{}, fmt.Errorf("overlay: %w", err)
	}
	return conv, nil
}

// Recordings of staff's information pages (issue 15) sit beside the
// prompts, under names of their own ("info-" and 16 hex digits, drawn at
// random so that a draft's recording cannot be guessed from the page),
// and are played like prompts. They are not prompts: the studio neither
// lists nor counts them; casework keeps who made which, for which version
// of the page, in the page's audit trail.
var infoAudioName = regexp.MustCompile(`^info-[0-9a-f]{16}$`)

// IsInfoAudioName reports whether name is an information page
// recording's (a gateway replica serves those from the Redis mirror).
func IsInfoAudioName(name string) bool { return infoAudioName.MatchString(name) }

// NewInfoAudioName draws the name of a new information page recording.
func NewInfoAudioName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it aborts the program instead)
	return "info-" + hex.EncodeToString(b)
}

// SaveInfoAudio converts data (as SaveRecording) into the information
// page recording name in lang and tells the OnAudio subscribers.
func (s *Store) SaveInfoAudio(ctx context.Context, lang, name string, data []byte) (promptaudio.Converted, error) {
	if !infoAudioName.MatchString(name) || !s.Catalog().HasLanguage(lang) {
		return promptaudio.Converted{}, fmt.Errorf("%w: no information recording %q in %q", ErrNotFound, name, lang)
	}
	conv, err := s.writeAudio(ctx, lang, name, data)
	if err != nil {
		return promptaudio.Converted{}, err
	}
	s.notifyAudio()
	s.o.Logger.Info("information page recording stored", "lang", lang, "name", name, "seconds", conv.Seconds)
	return conv, nil
}

// ReadInfoAudio reads an information page recording.
func (s *Store) ReadInfoAudio(lang, name string) ([]byte, error) {
	if !infoAudioName.MatchString(name) || !s.Catalog().HasLanguage(lang) {
		return nil, fmt.Errorf("%w: no information recording %q in %q", ErrNotFound, name, lang)
	}
	return os.ReadFile(filepath.Join(s.o.DataDir, AudioDir, lang, name+".wav"))
}

// DeleteInfoAudio removes an information page recording no page uses
// any more (a newer one replaced it).
func (s *Store) DeleteInfoAudio(lang, name string) error {
	if !infoAudioName.MatchString(name) || !s.Catalog().HasLanguage(lang) {
		return fmt.Errorf("%w: no information recording %q in %q", ErrNotFound, name, lang)
	}
	if err := os.Remove(filepath.Join(s.o.DataDir, AudioDir, lang, name+".wav")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("overlay: %w", err)
	}
	s.notifyAudio()
	return nil
}

func (s *Store) notifyAudio() {
	for _, f := range s.audio {
		f()
	}
}

// Recording states, as the studio shows them.
const (
	AudioNone    = "none"    // calls say the text (or the French recording)
	AudioShipped = "shipped" // recorded before the build (locales/audio)
	AudioStudio  = "studio"  // recorded at run time (DATA/audio)
)

// AudioState says where key's recording in lang comes from, with what is
// known of one made at run time.
func (s *Store) AudioState(lang, key string, made map[string]Recording) (string, Recording) {
	name := lang + "/" + key + ".wav"
	if _, err := os.Stat(filepath.Join(s.o.DataDir, AudioDir, lang, key+".wav")); err == nil {
		return AudioStudio, made[key]
	}
	if s.o.ShippedAudio != nil {
		if _, err := fs.Stat(s.o.ShippedAudio, name); err == nil {
			return AudioShipped, Recording{}
		}
	}
	return AudioNone, Recording{}
}

// ReviewRecording marks a recording made at run time as checked by a
// native speaker.
func (s *Store) ReviewRecording(ctx context.Context, by, lang, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecordings)
		v := b.Get(editKey(lang, key))
		if v == nil {
			return fmt.Errorf("%w: no recording of %q in %q", ErrNotFound, key, lang)
		}
		var r Recording
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		r.Reviewed = true
		if err := putJSON(b, editKey(lang, key), r); err != nil {
			return err
		}
		return s.record(tx, &Change{Lang: lang, Key: key, Action: ActionRecReview, By: by, At: s.o.Now().UTC()})
	})
}

// minimumVoice is what a caller of the short voice path hears (welcome
// and promise, the offer to speak in their own words, speak after the
// beep, the reference and PIN and their digits, goodbye): the set the
// studio shows first, so that a field team makes a language usable by
// voice in one sitting. A "*" ends a prefix.
var minimumVoice = []string{menus.LanguageNameKey, "promise.line", "voice.short.*", menus.VoiceRecord, menus.VoiceSaved,
	menus.VoiceReference, menus.VoicePIN, "digit-*", menus.VoiceAgain, menus.VoiceThanks, menus.VoiceGoodbye}

// MinimumVoice lists the keys of the minimum voice set that calls play
// in lang, in the order a call plays them.
func (s *Store) MinimumVoice(lang string) []string {
	var script []string
	for _, l := range s.Catalog().Script() {
		if l.Lang == lang {
			script = append(script, l.Key)
		}
	}
	var out []string
	for _, m := range minimumVoice {
		for _, k := range script {
			prefix, wild := strings.CutSuffix(m, "*")
			if (k == m || (wild && strings.HasPrefix(k, prefix))) && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// ReadAudio reads key's recording in lang: the one made at run time, else
// the shipped one.
func (s *Store) ReadAudio(lang, key string) ([]byte, error) {
	if !s.Playable(lang, key) {
		return nil, fmt.Errorf("%w: no prompt %q in %q", ErrNotFound, key, lang)
	}
	b, err := os.ReadFile(filepath.Join(s.o.DataDir, AudioDir, lang, key+".wav"))
	if err == nil || s.o.ShippedAudio == nil {
		return b, err
	}
	return fs.ReadFile(s.o.ShippedAudio, lang+"/"+key+".wav")
}
