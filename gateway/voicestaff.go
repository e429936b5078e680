package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/internal/promptaudio"
	"github.com/numerovert/hotline/menus"
)

// The staff voice entry (issue 13): a translator on the config's staff
// list (voice.staff, by staff key: never a number) calls the hotline,
// hears "0: record prompts" before the language menu, and records prompts
// by phone: a language by its key, a prompt by its number (`hotline
// prompts numbers`), the French text, the take after the beep, the take
// played back, 1 keep or 2 again. A kept take goes through the studio's
// one writer of run-time recordings (PromptStudio, menus/overlay), which
// converts it like an upload, makes it live for the next call and writes
// the staff name in its history. Callers not on the list never hear the
// offer, and 0 means nothing more to them than before.

// PromptStudio keeps recordings made at run time (menus/overlay.Store).
type PromptStudio interface {
	SaveRecording(ctx context.Context, by, lang, key string, data []byte) (promptaudio.Converted, error)
}

// UseStudio lets staff on the config's list record prompts by phone,
// through st. Without it (a gateway replica, no studio) no call is
// offered the staff entry.
func (s *Server) UseStudio(st PromptStudio) { s.studio = st }

// Stages of a staff call, after the offer.
const (
	staffLang   = "lang"   // which language to record
	staffNumber = "number" // which prompt, by number then #
	staffRecord = "record" // the French text, then the take
	staffListen = "listen" // the take played back: 1 keep, 2 again
)

// staffCall is a staff call's part of the voice session: who, and where
// in the recording loop. It holds no number.
type staffCall struct {
	Name   string `json:"name"`            // the config's name: the recordings' author
	Lang   string `json:"lang"`            // the language the staff menu speaks
	Stage  string `json:"stage,omitempty"` // "" while the offer stands
	Record string `json:"record,omitempty"`
	Key    string `json:"key,omitempty"`
	Take   string `json:"take,omitempty"` // the call-audio token of the take played back
	URL    string `json:"url,omitempty"`  // its URL, for the provider's player
}

// staffFor returns the staff entry for a caller on the config's list, nil
// for everyone else and wherever takes cannot be kept or played back
// (no studio, no sealed store, or a provider that plays no URL: SIP).
func (s *Server) staffFor(phone, country, base string) *staffCall {
	list := s.cfg.Voice.Staff
	if len(list) == 0 || s.studio == nil || s.sealedAudio() == nil || base == "" || phone == "" {
		return nil
	}
	for _, ck := range s.keyring.Keys(phone, country) {
		sk := callerid.StaffKey(ck)
		for _, st := range list {
			if slices.Contains(st.Keys, sk) {
				lang := st.Lang
				if !s.catalog().HasLanguage(lang) {
					lang = s.catalog().Fallback()
				}
				return &staffCall{Name: st.Name, Lang: lang}
			}
		}
	}
	return nil
}

// staffOffer is what a staff caller hears before the first screen.
func (s *Server) staffOffer(st *staffCall) []menus.Clip {
	return s.voiceEng().Clips(st.Lang, menus.StaffOffer)
}

// staffTakes reports whether this step belongs to the staff entry: the
// loop already started, or 0 pressed on the offer. Any other key ends the
// offer and the call goes on as a caller's.
func staffTakes(sess *voiceSession, call turn.Call, noInput bool) bool {
	switch {
	case sess.Staff == nil:
		return false
	case sess.Staff.Stage != "":
		return true
	case !noInput && strings.HasPrefix(call.Digits, "0"):
		return true
	case !noInput && call.Digits != "":
		sess.Staff = nil
	}
	return false
}

// staffStep runs one step of the staff entry.
func (s *Server) staffStep(ctx context.Context, ch config.Channel, vc VoiceChannel, base, key string, call turn.Call, noInput bool, sess voiceSession) (turn.VoiceReply, error) {
	st := sess.Staff
	var notice []menus.Clip
	miss := false
	switch st.Stage {
	case "":
		st.Stage = staffLang
	case staffLang:
		miss = !s.staffPickLanguage(st, call.Digits, noInput)
	case staffNumber:
		miss = !s.staffPickPrompt(st, call.Digits, noInput)
		if miss && !noInput && call.Digits != "" {
			notice = s.voiceEng().Clips(st.Lang, menus.StaffNoPrompt)
		}
	case staffRecord:
		var err error
		if miss, err = s.staffTake(ctx, base, vc, call, st); err != nil {
			s.log.Warn("staff take not usable", "channel", ch.Name, "err", err)
			notice, miss = s.voiceEng().Clips(st.Lang, menus.StaffFailed), false
		}
	case staffListen:
		var err error
		if notice, miss, err = s.staffKeep(ctx, call.Digits, noInput, st); err != nil {
			return turn.VoiceReply{}, err
		}
	}
	if miss {
		sess.Misses++
		if sess.Misses >= voiceMisses {
			s.dropCallAudio(ctx, st.Take, true)
			return s.endCall(ctx, key, sess, s.goodbye(st.Lang, base))
		}
		if notice == nil {
			notice = s.voiceEng().Clips(st.Lang, s.catalog().InvalidKey())
		}
	} else {
		sess.Misses = 0
	}
	sess.Step++
	sess.Reply = s.staffReply(ch, base, st, notice, sess.Step)
	if err := s.saveCall(ctx, key, sess); err != nil {
		return turn.VoiceReply{}, err
	}
	return sess.Reply, nil
}

// staffPickLanguage takes the language to record by its key (1 the first
// language of the menu).
func (s *Server) staffPickLanguage(st *staffCall, digits string, noInput bool) bool {
	langs := s.catalog().Languages()
	if noInput || len(digits) == 0 {
		return false
	}
	i := int(digits[0] - '1')
	if i < 0 || i >= len(langs) || i > 8 {
		return false
	}
	st.Record, st.Stage = langs[i], staffNumber
	return true
}

// staffPickPrompt takes a prompt by its number (`hotline prompts numbers`).
func (s *Server) staffPickPrompt(st *staffCall, digits string, noInput bool) bool {
	n, err := strconv.Atoi(strings.TrimSuffix(digits, "#"))
	keys := s.catalog().PromptKeys()
	if noInput || err != nil || n < 1 || n > len(keys) {
		return false
	}
	st.Key, st.Stage = keys[n-1], staffRecord
	return true
}

// staffTake keeps the take, converted as the studio will keep it, sealed
// under a random id, and gives it a call-audio token to be played back.
// miss: silence, nothing recorded; err: the take could not be used.
func (s *Server) staffTake(ctx context.Context, base string, vc VoiceChannel, call turn.Call, st *staffCall) (miss bool, err error) {
	if call.RecordingURL == "" {
		return true, nil
	}
	data, err := s.fetchRecording(ctx, vc, call.RecordingURL)
	if err != nil {
		return false, err
	}
	conv, err := promptaudio.Convert(data)
	if err != nil {
		return false, fmt.Errorf("convert take: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	id := "take-" + hex.EncodeToString(b)
	if err := s.voice.Recordings.Put(ctx, id, conv.WAV); err != nil {
		return false, fmt.Errorf("store take: %w", err)
	}
	s.dropCallAudio(ctx, st.Take, true)
	if st.Take, st.URL, err = s.callAudio(ctx, base, id); err != nil {
		return false, err
	}
	st.Stage = staffListen
	return false, nil
}

// staffKeep acts on the key pressed after the take was played back: 1
// keeps it through the studio, 2 records again.
func (s *Server) staffKeep(ctx context.Context, digits string, noInput bool, st *staffCall) (notice []menus.Clip, miss bool, err error) {
	if noInput || digits == "" {
		return nil, true, nil
	}
	switch digits[:1] {
	case "1":
		a := s.sealedAudio()
		raw, found, lerr := s.sessions.Load(ctx, callAudioPrefix+st.Take)
		if lerr != nil || !found {
			return nil, false, fmt.Errorf("staff take: %w", errors.Join(lerr, errors.New("take forgotten")))
		}
		wav, gerr := a.Get(ctx, string(raw))
		if gerr != nil {
			return nil, false, fmt.Errorf("staff take: %w", gerr)
		}
		if _, serr := s.studio.SaveRecording(ctx, st.Name+" (by phone)", st.Record, st.Key, wav); serr != nil {
			s.log.Warn("staff take not kept", "err", serr)
			notice = s.voiceEng().Clips(st.Lang, menus.StaffFailed)
			st.Stage = staffRecord
		} else {
			notice = s.voiceEng().Clips(st.Lang, menus.StaffSaved)
			st.Stage = staffNumber
		}
	case "2":
		st.Stage = staffRecord
	default:
		return nil, true, nil
	}
	s.dropCallAudio(ctx, st.Take, true)
	st.Take, st.URL = "", ""
	return notice, false, nil
}

// staffReply is the prompt of the stage the staff call is at, after the
// notice (a wrong key, a kept take).
func (s *Server) staffReply(ch config.Channel, base string, st *staffCall, notice []menus.Clip, step int) turn.VoiceReply {
	eng := s.voiceEng()
	vp := menus.VoicePrompt{Clips: notice}
	var after []menus.Clip
	switch st.Stage {
	case staffLang:
		vp.Clips = append(vp.Clips, eng.Clips(st.Lang, menus.StaffLanguage)...)
		for i, l := range s.catalog().Languages() {
			if i > 8 {
				break
			}
			name := s.catalog().LanguageName(l)
			vp.Clips = append(vp.Clips, eng.Clips(l, menus.VoiceFor)...)
			vp.Clips = append(vp.Clips, menus.Clip{Lang: l, Key: menus.LanguageNameKey, Text: name, Say: name})
			vp.Clips = append(vp.Clips, eng.Clips(l, menus.VoicePress, menus.DigitKey(byte('1'+i)))...)
		}
	case staffNumber:
		vp.Clips = append(vp.Clips, eng.Clips(st.Lang, menus.StaffNumber)...)
		vp.Number = true
	case staffRecord:
		// The French source, said the best way there is (its recording,
		// else text-to-speech), then the take after the beep.
		vp.Clips = append(vp.Clips, eng.Clips(st.Lang, menus.StaffSource)...)
		vp.Clips = append(vp.Clips, eng.Clips(s.catalog().Fallback(), st.Key)...)
		vp.Clips = append(vp.Clips, eng.Clips(st.Lang, menus.StaffRecord)...)
		vp.Record = true
	case staffListen:
		vp.Clips = append(vp.Clips, eng.Clips(st.Lang, menus.StaffListen)...)
		after = eng.Clips(st.Lang, menus.StaffKeep)
	}
	r := s.renderVoice(ch, base, vp, step)
	if st.Stage == staffListen {
		r.Audio = append(r.Audio, turn.Audio{URL: st.URL})
		r.Audio = append(r.Audio, s.audioFor(base, after)...)
	}
	return r
}
