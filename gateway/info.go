package gateway

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/overlay"
)

// The information line (issue 15) on USSD and voice: the engine hands the
// place and topic over (Turn.Info) and shows what casework has approved;
// a call plays a page's recording where staff made one.
// "SMS news" subscribes or unsubscribes the caller's number (subscribe.go).

// InfoSource answers the information line: the approved pages for a
// request, the view counted (casework.Service, scaleout.InfoMirror).
type InfoSource interface {
	InfoParts(ctx context.Context, r casework.InfoRequest) ([]casework.InfoPart, error)
}

// showInfo answers the engine's InfoRequest on eng. Without pages here
// (no InfoSource): the neutral screen.
func (s *Server) showInfo(ctx context.Context, eng *menus.Engine, ch config.Channel, phone string, t menus.Turn) menus.Turn {
	a := t.Info.Answers
	switch topic := a["info_topic"]; {
	case a["info_sms"] == "subscribe" || a["info_sms"] == "unsubscribe":
		return eng.InfoShown(t.State, s.smsNews(ctx, ch, phone, t.Info.Lang, a["info_sms"] == "subscribe", a["info_region"], a["info_cercle"]))
	case s.info == nil:
		return eng.InfoShown(t.State, "")
	default:
		parts, err := s.info.InfoParts(ctx, casework.InfoRequest{Lang: t.Info.Lang, Region: a["info_region"], Cercle: a["info_cercle"], Topic: topic})
		if err != nil {
			s.log.Error("information page", "channel", ch.Name, "err", err)
			parts = nil
		}
		return eng.InfoHeard(t.State, pageParts(parts))
	}
}

// pageParts are the pages as a call plays them.
func pageParts(parts []casework.InfoPart) []menus.PagePart {
	heard := make([]menus.PagePart, len(parts))
	for i, p := range parts {
		heard[i] = menus.PagePart{Lang: p.Lang, Text: p.Text, Audio: p.Audio}
	}
	return heard
}

// answerTopics are the pages that answer a "question" complaint, in the
// order tried: the codebook's question codes are eligibility and
// schedule.
var answerTopics = []string{"eligibility", "dates"}

// answerQuestion adds to the end of a "question" complaint the approved
// page that answers it for the caller's place, if any (the question path
// asks no topic: eligibility first, then distribution dates).
func (s *Server) answerQuestion(ctx context.Context, eng *menus.Engine, t menus.Turn, in casework.Intake) menus.Turn {
	if in.Category != "question" || s.info == nil {
		return t
	}
	for _, topic := range answerTopics {
		parts, err := s.info.InfoParts(ctx, casework.InfoRequest{Lang: in.Language, Region: in.Region, Cercle: in.Cercle, Topic: topic})
		if err != nil {
			s.log.Error("instant answer", "err", err)
			return t
		}
		if len(parts) > 0 {
			return eng.AnsweredHeard(t, pageParts(parts)) // a call plays the page's recording where there is one
		}
	}
	return t
}

// InfoAudioSource holds information page recordings away from this
// process (scaleout.InfoMirror on a gateway replica, which has no studio:
// the casework node mirrors the live pages' recordings to Redis).
type InfoAudioSource interface {
	InfoAudio(ctx context.Context, lang, name string) ([]byte, error)
}

// remoteInfoAudio reports whether the recording key of lang is an
// information page's that s.info holds (a gateway replica): the mirror
// publishes a page with its recording only after the recording itself.
func (s *Server) remoteInfoAudio(lang, key string) bool {
	_, ok := s.info.(InfoAudioSource)
	return ok && overlay.IsInfoAudioName(key) && s.catalog().HasLanguage(lang)
}

// sendInfoAudio serves lang/file from the information recordings' mirror;
// handled is false when file is no information recording held there.
func (s *Server) sendInfoAudio(c fiber.Ctx, lang, file string) (handled bool, err error) {
	src, ok := s.info.(InfoAudioSource)
	name := strings.TrimSuffix(file, ".wav")
	if !ok || name == file || !s.remoteInfoAudio(lang, name) {
		return false, nil
	}
	b, err := src.InfoAudio(c.Context(), lang, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, fiber.ErrNotFound
	case err != nil:
		s.log.Error("information page recording", "err", err)
		return true, fiber.ErrServiceUnavailable
	}
	c.Set(fiber.HeaderContentType, "audio/wav")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return true, c.Send(b)
}
