package scaleout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// Recordings of information pages on gateway replicas (issue 15): staff's
// recordings of approved pages (not caller data: the text every caller
// of the place gets) are mirrored to Redis beside the pages, one key per
// recording, so that a call on any replica plays the page's recording as
// it does where the casework node is. A recording's name is drawn at
// random for each upload and never reused, so a key's content never
// changes: it is written once, and deleted when no live page plays it.
// A page whose recording cannot be read is mirrored without it (read by
// text-to-speech) rather than promising a recording no gateway can play.

func (k keys) infoAudioSet() string { return k.prefix + "info:audio" } // set of "lang:name" mirrored
func (k keys) infoAudio(lang, name string) string {
	return k.prefix + "info:audio:" + lang + ":" + name
}

// InfoAudioReader reads an information page recording on the casework
// node (overlay.Store.ReadInfoAudio): 8 kHz WAV.
type InfoAudioReader func(lang, name string) ([]byte, error)

// publishAudio mirrors the recordings the live pages of ps play and
// returns ps with the recordings that could not be mirrored taken off.
func (m *InfoMirror) publishAudio(ctx context.Context, ps []casework.InfoPage) ([]casework.InfoPage, map[string]bool, error) {
	live := map[string]bool{}
	if m.Audio == nil {
		return ps, live, nil // a test's mirror, or a node without recordings
	}
	have, err := m.rdb.SMembers(ctx, m.keys.infoAudioSet()).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("scaleout: information recordings: %w", err)
	}
	mirrored := make(map[string]bool, len(have))
	for _, h := range have {
		mirrored[h] = true
	}
	out := make([]casework.InfoPage, 0, len(ps))
	for _, p := range ps {
		name := p.Heard()
		if name == "" {
			out = append(out, p)
			continue
		}
		member := p.Lang + ":" + name
		if !mirrored[member] {
			b, err := m.Audio(p.Lang, name)
			if err == nil {
				_, err = m.rdb.TxPipelined(ctx, func(pl redis.Pipeliner) error {
					pl.Set(ctx, m.keys.infoAudio(p.Lang, name), b, 0)
					pl.SAdd(ctx, m.keys.infoAudioSet(), member)
					return nil
				})
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, nil, ctx.Err()
				}
				m.log().Warn("information page recording not mirrored: gateways read the page's text", "page", p.ID, "err", err)
				p.Recording = nil
				out = append(out, p)
				continue
			}
			mirrored[member] = true
		}
		live[member] = true
		out = append(out, p)
	}
	return out, live, nil
}

// dropStaleAudio deletes the mirrored recordings no live page plays, once
// the pages that played them are replaced.
func (m *InfoMirror) dropStaleAudio(ctx context.Context, live map[string]bool) error {
	have, err := m.rdb.SMembers(ctx, m.keys.infoAudioSet()).Result()
	if err != nil {
		return fmt.Errorf("scaleout: information recordings: %w", err)
	}
	for _, h := range have {
		if live[h] {
			continue
		}
		lang, name, _ := strings.Cut(h, ":")
		if _, err := m.rdb.TxPipelined(ctx, func(pl redis.Pipeliner) error {
			pl.Del(ctx, m.keys.infoAudio(lang, name))
			pl.SRem(ctx, m.keys.infoAudioSet(), h)
			return nil
		}); err != nil {
			return fmt.Errorf("scaleout: drop information recording: %w", err)
		}
	}
	return nil
}

// ErrNoInfoAudio is returned (wrapped) for a recording the mirror does
// not hold; it wraps fs.ErrNotExist.
var ErrNoInfoAudio = fmt.Errorf("scaleout: no such information recording: %w", fs.ErrNotExist)

// InfoAudio is a mirrored information page recording, for a gateway's
// /audio/<lang>/<name>.wav.
func (m *InfoMirror) InfoAudio(ctx context.Context, lang, name string) ([]byte, error) {
	b, err := m.rdb.Get(ctx, m.keys.infoAudio(lang, name)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNoInfoAudio
	}
	if err != nil {
		return nil, fmt.Errorf("scaleout: information recording: %w", err)
	}
	return b, nil
}
