package main

import (
	"fmt"
	"io"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/menus"
)

// checkConfig is `hotline config check FILE`: the checks `hotline serve`
// makes on its config (file:line errors, places), without starting.
func checkConfig(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("config check", stderr)
	localesDir := fl.String("locales", "", "locales directory; the embedded copy when empty")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return fmt.Errorf("config check: give one FILE: %w", errUsage)
	}
	cfg, err := config.Load(fl.Arg(0))
	if err != nil {
		return err
	}
	catalog, err := loadCatalog(*localesDir)
	if err != nil {
		return err
	}
	if err := checkDeployment(cfg, catalog); err != nil {
		return err
	}
	withPlaces, err := withLocalities(catalog, cfg)
	if err != nil {
		return err
	}
	// The deployment's cercles are read first on a call: each page of
	// that list must stay short too.
	if probs := withPlaces.CheckVoiceWords(); len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintln(stdout, p)
		}
		return fmt.Errorf("%s: %d voice place list(s) over %d words", fl.Arg(0), len(probs), menus.MaxVoiceWords)
	}
	note := ""
	if cfg.UsesDemoSecrets() {
		note = " (holds demo: secrets: refused outside loopback)"
	}
	fmt.Fprintf(stdout, "%s: ok, %d channels, %d teams%s\n", fl.Arg(0), len(cfg.Channels), len(cfg.Teams), note)
	return nil
}
