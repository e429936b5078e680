package main

import (
	"errors"
	"fmt"

	"github.com/numerovert/hotline/config"
)

// Reload reads --config again (kill -HUP, systemctl reload) and applies
// what may change while serving: teams, their places and categories,
// programmes, codebook names and deadlines. The case service, the web view
// and the admin socket's commands see the new config for every operation
// that starts after it. A config that does not load, names an unknown
// P-code, holds the demo's credentials beyond loopback, or changes what
// needs a restart (config.CheckReload: the channels) is refused with its
// file:line, and the running config stays. Only the signal goroutine
// calls it.
func (m *Main) Reload() error {
	if m.ConfigPath == "" {
		return errors.New("reload: no --config: the embedded demo configuration cannot change")
	}
	next, err := config.Load(m.ConfigPath)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if err := checkDeployment(next, m.catalog); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if err := refuseDemoOutsideLoopback(next, m.Addr, m.AdminAddr); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if err := m.cfg.CheckReload(next); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if m.cases != nil {
		m.cases.SetConfig(next)
	}
	m.ops.cfg.Store(next)
	m.cfg = next
	m.log.Info("config reloaded", "config", next.Source, "teams", len(next.Teams), "programmes", len(next.Programmes))
	return nil
}
