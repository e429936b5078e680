package gateway

import (
	"io/fs"
	"strings"

	"github.com/numerovert/hotline/menus"
)

// menuSet is one catalogue with the engines built from it. The language
// studio (menus/overlay) swaps it whole: a callback loads it once per
// step, and a session in flight keeps its state, which names nodes of the
// same tree (the studio edits strings, never the tree).
type menuSet struct {
	catalog *menus.Catalog
	ussd    *menus.Engine
	voice   *menus.Engine
}

// SetCatalog makes c the catalogue of every session from the next step
// on: the studio's edits, live without a restart.
func (s *Server) SetCatalog(c *menus.Catalog) {
	s.menus.Store(&menuSet{catalog: c, ussd: menus.NewEngine(c, menus.FitsUSSD), voice: menus.NewEngine(c, nil).ForTheEar()})
}

func (s *Server) catalog() *menus.Catalog { return s.menus.Load().catalog }
func (s *Server) ussd() *menus.Engine     { return s.menus.Load().ussd }
func (s *Server) voiceEng() *menus.Engine { return s.menus.Load().voice }

// RefreshAudio lists the prompt recordings of VoiceOptions.Audio again,
// so that one added while serving (the studio's upload) plays at the next
// call and is served at /audio/.
func (s *Server) RefreshAudio() {
	have := map[string]bool{}
	if s.voice.Audio != nil {
		_ = fs.WalkDir(s.voice.Audio, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wav") {
				have[p] = true
			}
			return nil
		})
	}
	s.audio.Store(&have)
}

// hasAudio reports whether the recording "<lang>/<key>.wav" exists.
func (s *Server) hasAudio(name string) bool {
	m := s.audio.Load()
	return m != nil && (*m)[name]
}
