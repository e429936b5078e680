package main

import (
	"errors"
	"fmt"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/keystore"
)

// Reload rereads the keys directory (see reloadKeys), then reads --config
// again (kill -HUP, systemctl reload) and applies
// what may change while serving: teams, their places and categories,
// programmes, codebook names and deadlines. The case service, the web view
// and the admin socket's commands see the new config for every operation
// that starts after it. A config that does not load, names an unknown
// P-code, holds the demo's credentials beyond loopback, or changes what
// needs a restart (config.CheckReload: the channels) is refused with its
// file:line, and the running config stays. Only the signal goroutine
// calls it.
func (m *Main) Reload() error {
	if err := m.reloadKeys(); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if m.ConfigPath == "" {
		return errors.New("reload: keys reread; no --config: the embedded demo configuration cannot change")
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

// reloadKeys hands every user of a key the versions now in the keys
// directory: on a gateway replica, after the operator copied a version
// rotated on the casework node (`hotline keys rotate` there). Where the
// process holds data, the keys directory must still hold every key the
// data was made with (keystore.Bind), or nothing changes.
func (m *Main) reloadKeys() error {
	if m.ops == nil {
		return nil
	}
	if m.ops.boundToData {
		if _, err := keystore.Bind(m.DataDir, m.ops.keysDir, keyPurposes, false); err != nil {
			return err
		}
	}
	var inUse []string
	for _, purpose := range keyPurposes {
		n, err := m.ops.reloadKeys(purpose)
		if err != nil {
			return err
		}
		if versions, _ := m.ops.keysDir.Versions(purpose); n > 0 && len(versions) > 0 {
			inUse = append(inUse, purpose+"-"+versions[len(versions)-1])
		}
	}
	m.log.Info("keys reread", "in use", inUse)
	return nil
}
