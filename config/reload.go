package config

import (
	"fmt"
	"reflect"
)

// CheckReload reports why next cannot replace c in a running server. The
// teams, programmes, codebook texts and deadlines may change; the channels
// may not (their adapters, secrets, send APIs and allow-lists are wired in
// at start: restart to change them), and no category the running menus
// offer may disappear (a caller choosing it would lose their complaint).
func (c *Config) CheckReload(next *Config) error {
	if len(c.Channels) != len(next.Channels) {
		return fmt.Errorf("%s: the channels changed; channels change only at a restart", next.Source)
	}
	for i := range c.Channels {
		a, b := c.Channels[i], next.Channels[i]
		a.line, b.line = 0, 0
		if !reflect.DeepEqual(a, b) {
			return fmt.Errorf("%s:%d: channel %q changed; channels change only at a restart", next.Source, next.Channels[i].line, b.ID)
		}
	}
	for _, ft := range c.Codebook {
		for _, cat := range ft.Categories {
			if _, ok := next.Category(cat.ID); !ok {
				return fmt.Errorf("%s: category %q is gone, but the running menus offer it; keep it, or change the menus and restart", next.Source, cat.ID)
			}
		}
	}
	return nil
}
