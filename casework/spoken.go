package casework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// recordingWriter is a Recordings that also stores (recordings.Store).
type recordingWriter interface {
	Put(ctx context.Context, id string, data []byte) error
}

// SpeakAnswer keeps wav (a prompt-format WAV: the web view converts the
// upload) as the team's spoken answer to case id, sealed in the
// recordings store beside the voice messages, and audits it. A voice
// follow-up plays it once the case is answered; the written response is
// still required (USSD and SMS show it). A second one replaces the first.
func (s *Service) SpeakAnswer(ctx context.Context, who Actor, id string, wav []byte) (Case, error) {
	w, ok := s.records.(recordingWriter)
	if !ok || s.records == nil {
		return Case{}, errors.New("casework: spoken answer: no recordings store here")
	}
	if len(wav) == 0 {
		return Case{}, errors.New("casework: spoken answer: empty recording")
	}
	if _, err := s.own(ctx, who, id); err != nil {
		return Case{}, fmt.Errorf("casework: spoken answer: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	rec := "answer-" + hex.EncodeToString(b)
	if err := w.Put(ctx, rec, wav); err != nil {
		return Case{}, fmt.Errorf("casework: spoken answer: %w", err)
	}
	old := ""
	c, err := s.change(ctx, who, id, "spoken answer", func(c *Case, _ time.Time) ([]Event, error) {
		if err := from(c, StatusInProgress, StatusResolved); err != nil {
			return nil, err
		}
		old, c.SpokenAnswer = c.SpokenAnswer, rec
		return []Event{{Action: ActionSpoken}}, nil
	})
	if err != nil {
		_ = s.records.Delete(ctx, rec)
		return Case{}, err
	}
	if old != "" {
		if err := s.records.Delete(ctx, old); err != nil {
			s.log.Warn("replaced spoken answer not deleted", "case", c.ID, "err", err)
		}
	}
	return c, nil
}
