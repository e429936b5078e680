package scaleout

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// The information line on gateway replicas (issue 15): the casework node
// mirrors the approved pages to Redis (casework.Service.LivePages: no
// draft, no audit trail, nothing about a caller), one hash field per topic
// and language; a gateway answers from it with casework.PickInfo, the
// rule the casework node uses, and counts each view in Redis, which the
// casework node adds to its own counts. A page's recording is mirrored
// beside it (infoaudio.go), so a call through a gateway replica plays it.

func (k keys) infoPages() string { return k.prefix + "info:pages" } // topic NUL lang → JSON []casework.InfoPage
func (k keys) infoViews() string { return k.prefix + "info:views" } // month NUL place NUL topic → count

// InfoMirror is the Redis copy of the approved information pages.
type InfoMirror struct {
	rdb  redis.Cmdable
	keys keys

	// Audio, on the casework node, reads the pages' recordings to mirror
	// them; nil mirrors the pages without their recordings.
	Audio InfoAudioReader
	// Log takes what goes wrong in the background (default slog.Default).
	Log *slog.Logger
}

func (m *InfoMirror) log() *slog.Logger {
	if m.Log == nil {
		return slog.Default()
	}
	return m.Log
}

// NewInfoMirror mirrors under prefix.
func NewInfoMirror(rdb redis.Cmdable, prefix string) *InfoMirror {
	return &InfoMirror{rdb: rdb, keys: keys{prefix}}
}

func infoField(topic, lang string) string { return topic + "\x00" + lang }

// Publish replaces the mirrored pages by ps in one transaction: a gateway
// reads the old set or the new, never a mix. The recordings the new set
// plays are mirrored before it, those no page plays any more after it.
func (m *InfoMirror) Publish(ctx context.Context, ps []casework.InfoPage) error {
	ps, live, err := m.publishAudio(ctx, ps)
	if err != nil {
		return err
	}
	groups := map[string][]casework.InfoPage{}
	for _, p := range ps {
		if p.Live() {
			f := infoField(p.Topic, p.Lang)
			groups[f] = append(groups[f], p)
		}
	}
	args := make([]any, 0, 2*len(groups))
	for f, g := range groups {
		b, err := json.Marshal(g)
		if err != nil {
			return fmt.Errorf("scaleout: information pages: %w", err)
		}
		args = append(args, f, b)
	}
	_, err = m.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, m.keys.infoPages())
		if len(args) > 0 {
			p.HSet(ctx, m.keys.infoPages(), args...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("scaleout: publish information pages: %w", err)
	}
	if m.Audio != nil {
		return m.dropStaleAudio(ctx, live)
	}
	return nil
}

// InfoParts answers a caller from the mirror as the casework node would
// (casework.PickInfo) and counts the view: one read of the caller's
// language and the fallback's pages of the topic.
func (m *InfoMirror) InfoParts(ctx context.Context, r casework.InfoRequest) ([]casework.InfoPart, error) {
	fields := []string{infoField(r.Topic, r.Lang)}
	if r.Lang != casework.InfoFallbackLanguage {
		fields = append(fields, infoField(r.Topic, casework.InfoFallbackLanguage))
	}
	vals, err := m.rdb.HMGet(ctx, m.keys.infoPages(), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("scaleout: information pages: %w", err)
	}
	var ps []casework.InfoPage
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // no page of the topic in that language
		}
		var g []casework.InfoPage
		if err := json.Unmarshal([]byte(s), &g); err != nil {
			return nil, fmt.Errorf("scaleout: information pages: %w", err)
		}
		ps = append(ps, g...)
	}
	parts, place := casework.PickInfo(ps, r)
	if len(parts) > 0 {
		view := strings.Join([]string{time.Now().UTC().Format("2006-01"), place, r.Topic}, "\x00")
		if err := m.rdb.HIncrBy(ctx, m.keys.infoViews(), view, 1).Err(); err != nil {
			// The caller still gets the page; only the dashboard misses one.
			slog.Default().Warn("scaleout: information view not counted", "err", err)
		}
	}
	return parts, nil
}

// takeViews reads and clears the views the gateways counted, in one step
// (so that a view counted meanwhile is taken next time, not lost).
var takeViews = redis.NewScript(`
local v = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return v`)

// TakeViews returns the views counted since the last call and clears
// them.
func (m *InfoMirror) TakeViews(ctx context.Context) (map[casework.InfoViewKey]int, error) {
	kv, err := takeViews.Run(ctx, m.rdb, []string{m.keys.infoViews()}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("scaleout: information views: %w", err)
	}
	out := map[casework.InfoViewKey]int{}
	for i := 0; i+1 < len(kv); i += 2 {
		f := strings.Split(kv[i], "\x00")
		n, err := strconv.Atoi(kv[i+1])
		if len(f) != 3 || err != nil || n <= 0 {
			continue
		}
		out[casework.InfoViewKey{Month: f[0], Place: f[1], Topic: f[2]}] += n
	}
	return out, nil
}

// InfoSource is what the casework node's mirror loop needs of
// casework.Service.
type InfoSource interface {
	LivePages(ctx context.Context) ([]casework.InfoPage, error)
	CountInfoViews(ctx context.Context, month, place, topic string, n int) error
}

// RunInfoMirror keeps the mirror of src until ctx ends: it publishes the
// pages at once, after every signal on changed (casework.Options.OnInfo)
// and every interval (a Redis that lost its data gets them back), and at
// each interval adds the views the gateways counted to src's. A crash
// between taking the views and storing them loses those counts (a
// dashboard figure, never a caller's page).
func RunInfoMirror(ctx context.Context, m *InfoMirror, src InfoSource, changed <-chan struct{}, interval time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	publish := func() {
		ps, err := src.LivePages(ctx)
		if err == nil {
			err = m.Publish(ctx, ps)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("information pages not mirrored for the gateways", "err", err)
		}
	}
	publish()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
			publish()
		case <-t.C:
			publish()
			if err := m.MoveViews(ctx, src); err != nil && ctx.Err() == nil {
				log.Warn("gateways' information views not counted", "err", err)
			}
		}
	}
}

// MoveViews adds the views the gateways counted to src's and clears them
// in Redis.
func (m *InfoMirror) MoveViews(ctx context.Context, src InfoSource) error {
	views, err := m.TakeViews(ctx)
	if err != nil {
		return err
	}
	for k, n := range views {
		if err := src.CountInfoViews(ctx, k.Month, k.Place, k.Topic, n); err != nil {
			return err
		}
	}
	return nil
}
