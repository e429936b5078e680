package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
)

// Call audio: a recording that is not a prompt (a staff member's take
// played back, an officer's spoken answer) is played to one call only,
// at /audio/call/<token>.wav. The token is random, known only to that
// call's session, and forgotten when the call ends: the URL opens nothing
// to anyone who was not on the line, and nothing after the call.

// SealedAudio reads and deletes sealed recordings (recordings.Store, where
// the cases are). On a gateway replica the voice store is a hand-off with
// neither, and no call audio is played.
type SealedAudio interface {
	Get(ctx context.Context, id string) ([]byte, error)
	Delete(ctx context.Context, id string) error
}

const callAudioPrefix = "callaudio/"

var callAudioName = regexp.MustCompile(`^([0-9a-f]{32})\.wav$`)

// sealedAudio is the store call audio is read from, nil when there is none.
func (s *Server) sealedAudio() SealedAudio {
	a, _ := s.voice.Recordings.(SealedAudio)
	return a
}

// callAudio gives the sealed recording id a token for one call and
// returns its URL under base.
func (s *Server) callAudio(ctx context.Context, base, id string) (token, url string, err error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = hex.EncodeToString(b)
	if err := s.sessions.Save(ctx, callAudioPrefix+token, []byte(id), voiceSessionTTL); err != nil {
		return "", "", fmt.Errorf("call audio: %w", err)
	}
	return token, base + "/audio/call/" + token + ".wav", nil
}

// dropCallAudio forgets a token (the call is over, or the take was
// replaced); with owned, the recording itself is deleted too.
func (s *Server) dropCallAudio(ctx context.Context, token string, owned bool) {
	if token == "" {
		return
	}
	raw, found, err := s.sessions.Load(ctx, callAudioPrefix+token)
	if err == nil && found && owned {
		if a := s.sealedAudio(); a != nil {
			err = a.Delete(ctx, string(raw))
		}
	}
	if derr := s.sessions.Delete(ctx, callAudioPrefix+token); err == nil {
		err = derr
	}
	if err != nil {
		s.log.Warn("call audio not forgotten", "err", err)
	}
}

// handleCallAudio serves a call's recording to the provider's player.
func (s *Server) handleCallAudio(c fiber.Ctx) error {
	m := callAudioName.FindStringSubmatch(c.Params("file"))
	a := s.sealedAudio()
	if m == nil || a == nil {
		return fiber.ErrNotFound
	}
	raw, found, err := s.sessions.Load(c.Context(), callAudioPrefix+m[1])
	if err != nil {
		return fmt.Errorf("call audio: %w", err)
	}
	if !found {
		return fiber.ErrNotFound
	}
	b, err := a.Get(c.Context(), string(raw))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		s.log.Warn("call audio unreadable", "err", err)
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "audio/wav")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

// spokenAnswer gives the team's spoken answer of a follow-up a URL for
// this call only, kept in sess to be forgotten when the call ends. ""
// when there is none, or it cannot be played here (a gateway replica, a
// provider that plays no URL): the written answer is read instead.
func (s *Server) spokenAnswer(ctx context.Context, base string, ans casework.Answer, sess *voiceSession) string {
	if ans.Spoken == "" || base == "" || s.sealedAudio() == nil {
		return ""
	}
	token, u, err := s.callAudio(ctx, base, ans.Spoken)
	if err != nil {
		s.log.Warn("spoken answer not playable: read instead", "err", err)
		return ""
	}
	s.dropCallAudio(ctx, sess.Spoken, false)
	sess.Spoken = token
	return u
}
