package scaleout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// PublicStatus is what any gateway may tell a caller about a case, by
// reference: never the complaint itself.
type PublicStatus struct {
	Status  casework.Status
	Updated time.Time
	// Response is the team's answer a caller hears or reads on follow-up,
	// in Language (empty until the team writes one).
	Response, Language string
	// CallerKey is the keyed hash of the phone that made the case (as in
	// bbolt; never a number), empty once purged. It alone must never
	// answer a follow-up: that needs the PIN (FollowUps).
	CallerKey string
	// ID and PINHash are the case ID and the keyed hash of its PIN (never
	// the PIN), for FollowUps; empty once purged, so a purged case answers
	// no follow-up.
	ID, PINHash string
	// AnswerBy is when an answer is due (the case's resolve deadline).
	AnswerBy time.Time
}

// Mirror keeps each case's public status in Redis: one hash per reference
// (status, updated, response), without expiry.
type Mirror struct {
	rdb  redis.Cmdable
	keys keys
}

// NewMirror mirrors under prefix.
func NewMirror(rdb redis.Cmdable, prefix string) *Mirror {
	return &Mirror{rdb: rdb, keys: keys{prefix}}
}

func (m *Mirror) set(ctx context.Context, p redis.Cmdable, ref string, ps PublicStatus) {
	p.HSet(ctx, m.keys.status(ref),
		"status", string(ps.Status),
		"updated", formatTime(ps.Updated),
		"response", ps.Response,
		"language", ps.Language,
		"caller", ps.CallerKey,
		"id", ps.ID,
		"pin", ps.PINHash,
		"answer_by", formatTime(ps.AnswerBy))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Publish writes the public status of the case with reference ref.
func (m *Mirror) Publish(ctx context.Context, ref string, ps PublicStatus) error {
	if _, ok := casework.ParseReference(ref); !ok {
		return fmt.Errorf("scaleout: publish: not a reference")
	}
	_, err := m.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		m.set(ctx, p, ref, ps)
		return nil
	})
	if err != nil {
		return fmt.Errorf("scaleout: publish: %w", err)
	}
	return nil
}

// Lookup returns the public status under a reference as a person types
// it, or an error wrapping casework.ErrNotFound.
func (m *Mirror) Lookup(ctx context.Context, ref string) (PublicStatus, error) {
	norm, ok := casework.ParseReference(ref)
	if !ok {
		return PublicStatus{}, fmt.Errorf("scaleout: lookup: %w", casework.ErrNotFound)
	}
	h, err := m.rdb.HGetAll(ctx, m.keys.status(norm)).Result()
	if err != nil {
		return PublicStatus{}, fmt.Errorf("scaleout: lookup: %w", err)
	}
	if h["status"] == "" {
		return PublicStatus{}, fmt.Errorf("scaleout: lookup: %w", casework.ErrNotFound)
	}
	ps := PublicStatus{
		Status: casework.Status(h["status"]), Response: h["response"], Language: h["language"],
		CallerKey: h["caller"], ID: h["id"], PINHash: h["pin"],
	}
	ps.Updated, _ = time.Parse(time.RFC3339Nano, h["updated"])
	ps.AnswerBy, _ = time.Parse(time.RFC3339Nano, h["answer_by"])
	return ps, nil
}

// Resync publishes the status of every case in store, e.g. when the
// casework node starts, in case Redis lost its data.
func (m *Mirror) Resync(ctx context.Context, store casework.Store) (int, error) {
	const chunk = 500
	n := 0
	var batch []casework.Case
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := m.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, c := range batch {
				m.set(ctx, p, c.Reference, statusOf(c))
			}
			return nil
		})
		n += len(batch)
		batch = batch[:0]
		return err
	}
	err := store.Each(ctx, func(c casework.Case) error {
		batch = append(batch, c)
		if len(batch) == chunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, fmt.Errorf("scaleout: resync: %w", err)
	}
	return n, nil
}

// statusOf is the public status of a stored case.
func statusOf(c casework.Case) PublicStatus {
	a := casework.Public(c)
	updated := c.UpdatedAt
	if updated.IsZero() {
		updated = c.CreatedAt
	}
	return PublicStatus{
		Status: c.Status, Updated: updated, Response: a.Response, Language: a.Language,
		CallerKey: c.CallerKey, ID: c.ID, PINHash: c.PINHash, AnswerBy: c.ResolveBy,
	}
}

// PublishCase mirrors c's public status; the casework node calls it for
// every case it stores or changes (casework.Options.OnChange).
func (m *Mirror) PublishCase(ctx context.Context, c casework.Case) error {
	return m.Publish(ctx, c.Reference, statusOf(c))
}

var errNoFields = errors.New("entry has no fields")
