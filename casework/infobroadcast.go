package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Broadcasts (issue 15): an SMS to the information line's subscribers of
// a place, written by the programme role in each language, approved by a
// supervisor, then sent once through the durable outbox (the gateway's
// broadcast job). An edit before it is sent needs approval again; a sent
// broadcast is never changed. Casework never sees a subscriber.

// Broadcast states.
const (
	BroadcastDraft    = "draft"
	BroadcastApproved = "approved"
	BroadcastSent     = "sent"
)

// MaxBroadcastRunes bounds one language's text (two SMS at most are sent).
const MaxBroadcastRunes = 300

// Broadcast is one message to subscribers.
type Broadcast struct {
	ID         string            `json:"id"`
	Region     string            `json:"region,omitempty"` // "" all of Mali
	Cercle     string            `json:"cercle,omitempty"` // "" the whole region
	Texts      map[string]string `json:"texts"`            // language → text; fr is required (the fallback)
	Version    int               `json:"version"`
	State      string            `json:"state"`
	Author     string            `json:"author"`
	ApprovedBy string            `json:"approved_by,omitempty"`
	Recipients int               `json:"recipients,omitempty"` // queued when sent
	Events     []InfoEvent       `json:"events"`
}

// BroadcastStore persists broadcasts (boltstore, memstore; storetest.RunInfo).
type BroadcastStore interface {
	PutBroadcast(ctx context.Context, b Broadcast) error
	// Broadcast returns one, or an error wrapping ErrNotFound.
	Broadcast(ctx context.Context, id string) (Broadcast, error)
	Broadcasts(ctx context.Context) ([]Broadcast, error)
}

// Reaches reports whether a subscriber of region and cercle gets b: a
// broadcast for all of Mali reaches everyone, one for a region every
// subscriber in it, one for a cercle only that cercle's subscribers.
func (b Broadcast) Reaches(region, cercle string) bool {
	switch {
	case b.Region == "":
		return true
	case b.Cercle == "":
		return region == b.Region
	}
	return cercle == b.Cercle
}

// Text is b's text in lang, else in French.
func (b Broadcast) Text(lang string) (string, string) {
	if t := b.Texts[lang]; t != "" {
		return t, lang
	}
	return b.Texts[InfoFallbackLanguage], InfoFallbackLanguage
}

func (s *Service) broadcastStore() (BroadcastStore, error) {
	bs, ok := s.store.(BroadcastStore)
	if !ok {
		return nil, errors.New("casework: this store keeps no broadcasts")
	}
	return bs, nil
}

// BroadcastInput is what the programme role writes; ID "" makes a new one.
type BroadcastInput struct {
	ID, Region, Cercle string
	Texts              map[string]string
}

// SaveBroadcast writes a draft (new, or an edit of one not yet sent).
func (s *Service) SaveBroadcast(ctx context.Context, actor User, in BroadcastInput) (Broadcast, error) {
	if actor.Role != RoleProgramme {
		return Broadcast{}, fmt.Errorf("save broadcast: %w", ErrForbidden)
	}
	texts := map[string]string{}
	for lang, t := range in.Texts {
		if t = strings.TrimSpace(t); t != "" {
			texts[lang] = t
		}
		if utf8.RuneCountInString(texts[lang]) > MaxBroadcastRunes {
			return Broadcast{}, fmt.Errorf("broadcast: %s longer than %d characters: %w", lang, MaxBroadcastRunes, ErrInvalidIntake)
		}
	}
	if texts[InfoFallbackLanguage] == "" {
		return Broadcast{}, fmt.Errorf("broadcast: no %s text: %w", InfoFallbackLanguage, ErrInvalidIntake)
	}
	if in.Cercle != "" && (in.Region == "" || !strings.HasPrefix(in.Cercle, in.Region)) {
		return Broadcast{}, fmt.Errorf("broadcast: cercle outside its region: %w", ErrInvalidIntake)
	}
	bs, err := s.broadcastStore()
	if err != nil {
		return Broadcast{}, err
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	b := Broadcast{ID: in.ID}
	if in.ID == "" {
		b.ID = NewID()
	} else if b, err = bs.Broadcast(ctx, in.ID); err != nil {
		return Broadcast{}, fmt.Errorf("save broadcast: %w", err)
	}
	if b.State == BroadcastSent {
		return Broadcast{}, fmt.Errorf("save broadcast: already sent: %w", ErrInvalidTransition)
	}
	b.Region, b.Cercle, b.Texts, b.Author, b.State, b.ApprovedBy = in.Region, in.Cercle, texts, actor.Name, BroadcastDraft, ""
	b.Version++
	b.Events = append(b.Events, InfoEvent{At: s.now().UTC(), Actor: actor.Name, Action: "saved", Version: b.Version})
	if err := bs.PutBroadcast(ctx, b); err != nil {
		return Broadcast{}, fmt.Errorf("save broadcast: %w", err)
	}
	s.log.Info("broadcast saved", "broadcast", b.ID, "version", b.Version, "user", actor.Name)
	return b, nil
}

// ApproveBroadcast approves the version a supervisor read; the broadcast
// job sends it.
func (s *Service) ApproveBroadcast(ctx context.Context, actor User, id string, version int) (Broadcast, error) {
	if actor.Role != RoleSupervisor {
		return Broadcast{}, fmt.Errorf("approve broadcast: %w", ErrForbidden)
	}
	return s.changeBroadcast(ctx, id, func(b *Broadcast) error {
		switch {
		case b.Version != version:
			return ErrStale
		case b.State != BroadcastDraft:
			return ErrInvalidTransition
		case b.Author == actor.Name:
			return ErrForbidden
		}
		b.State, b.ApprovedBy = BroadcastApproved, actor.Name
		b.Events = append(b.Events, InfoEvent{At: s.now().UTC(), Actor: actor.Name, Action: "approved", Version: version})
		return nil
	})
}

// BroadcastSentTo records that an approved broadcast was queued for n
// subscribers: it is never sent again.
func (s *Service) BroadcastSentTo(ctx context.Context, id string, n int) (Broadcast, error) {
	return s.changeBroadcast(ctx, id, func(b *Broadcast) error {
		if b.State != BroadcastApproved {
			return ErrInvalidTransition
		}
		b.State, b.Recipients = BroadcastSent, n
		b.Events = append(b.Events, InfoEvent{At: s.now().UTC(), Actor: "(broadcast job)", Action: "sent", Version: b.Version})
		return nil
	})
}

func (s *Service) changeBroadcast(ctx context.Context, id string, fn func(*Broadcast) error) (Broadcast, error) {
	bs, err := s.broadcastStore()
	if err != nil {
		return Broadcast{}, err
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	b, err := bs.Broadcast(ctx, id)
	if err != nil {
		return Broadcast{}, fmt.Errorf("broadcast %s: %w", id, err)
	}
	b.Texts = maps.Clone(b.Texts)
	if err := fn(&b); err != nil {
		return Broadcast{}, fmt.Errorf("broadcast %s: %w", id, err)
	}
	if err := bs.PutBroadcast(ctx, b); err != nil {
		return Broadcast{}, fmt.Errorf("broadcast %s: %w", id, err)
	}
	s.log.Info("broadcast "+b.State, "broadcast", b.ID, "version", b.Version)
	return b, nil
}

// Broadcasts lists them, newest first; state "" lists all.
func (s *Service) Broadcasts(ctx context.Context, state string) ([]Broadcast, error) {
	bs, err := s.broadcastStore()
	if err != nil {
		return nil, err
	}
	all, err := bs.Broadcasts(ctx)
	if err != nil {
		return nil, fmt.Errorf("broadcasts: %w", err)
	}
	all = slices.DeleteFunc(all, func(b Broadcast) bool { return state != "" && b.State != state })
	slices.SortFunc(all, func(a, b Broadcast) int {
		return cmp.Compare(b.Events[0].At.UnixNano(), a.Events[0].At.UnixNano())
	})
	return all, nil
}
