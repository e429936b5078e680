package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
	"github.com/numerovert/hotline/simulator"
)

func simulateUSSD(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl := newFlags("simulate ussd", stderr)
	url := fl.String("url", "http://127.0.0.1:8080/c/demo-at/ussd", "the channel's USSD callback URL")
	phone := fl.String("phone", "+22376000001", "caller number to send (use the +223 7600xxxx example range)")
	inputs := fl.String("inputs", "", "comma-separated inputs to send after dialling")
	interactive := fl.Bool("interactive", false, "type each input at a prompt")
	service := fl.String("service-code", "*384*1234#", "USSD service code")
	if err := fl.Parse(args); err != nil {
		return err
	}
	u := simulator.USSD{URL: *url, Phone: *phone, ServiceCode: *service}
	if *interactive {
		return simulator.Interactive(ctx, u, stdin, stdout)
	}
	var list []string
	if *inputs != "" {
		list = strings.Split(*inputs, ",")
	}
	screens, err := u.Play(ctx, list, func(s simulator.Screen) {
		marker := "CON"
		if s.End {
			marker = "END"
		}
		fmt.Fprintf(stdout, "--- %s\n%s\n", marker, s.Text)
	})
	if err == nil && (len(screens) == 0 || !screens[len(screens)-1].End) {
		return fmt.Errorf("simulate ussd: the %d inputs ended before the session did (last screen: CON)", len(list))
	}
	return err
}

func lintMenus(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("menus lint", stderr)
	coverage := fl.Bool("coverage", false, "print per locale how many strings are translated and reviewed, and which USSD screens use the GSM-7 spelling")
	strict := fl.Bool("strict", false, "fail when a locale lacks a string a caller can reach (unless it lists it under `awaiting:`)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	dir := fl.Arg(0)
	problems, cov := menus.Report(localesFS(dir))
	var langs []string
	for _, c := range cov {
		langs = append(langs, c.Lang)
	}
	c, loadErr := menus.Load(localesFS(dir))
	var spelling func(string) *gsm7.Spelling
	if loadErr == nil {
		spelling = c.Spelling
		// Missing prompt recordings are warnings: calls fall back (docs/prompts.md).
		problems = append(problems, menus.MissingAudio(audioFS(dir), c)...)
	}
	problems = append(problems, gateway.LintSMS(smsFS(dir), langs, spelling)...)
	if *strict {
		problems = menus.Strict(problems)
	}
	if *coverage {
		printCoverage(stdout, cov)
	}
	errs := 0
	for _, p := range problems {
		if dir != "" {
			p.File = filepath.Join(dir, p.File)
		}
		fmt.Fprintln(stdout, p.String())
		if !p.Warning {
			errs++
		}
	}
	if errs > 0 {
		fmt.Fprintf(stderr, "%d error(s)\n", errs)
		return exitError(1)
	}
	fmt.Fprintln(stderr, "menus: ok")
	return nil
}

// printCoverage writes one line per locale, then the screens each shows in
// its GSM-7 spelling (because the proper spelling does not fit in 80 UCS-2
// characters).
func printCoverage(w io.Writer, cov []menus.Coverage) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "locale\tname\ttranslated\treviewed\tGSM-7 screens\t")
	for _, c := range cov {
		name := c.Name
		if c.Fallback {
			name += " (fallback)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d/%d\t%d/%d\t\n", c.Lang, name, c.Translated, c.Strings, c.Reviewed, c.Strings, len(c.GSM7), len(c.Screens))
	}
	tw.Flush()
	for _, c := range cov {
		if len(c.GSM7) > 0 {
			fmt.Fprintf(w, "%s: GSM-7 spelling on %s\n", c.Lang, strings.Join(c.GSM7, ", "))
		}
		if len(c.Missing) > 0 {
			awaited := ""
			if len(c.Awaiting) > 0 {
				awaited = fmt.Sprintf(" (%d of them awaiting: listed in %s.yaml)", len(c.Awaiting), c.Lang)
			}
			fmt.Fprintf(w, "%s: shown in the fallback language%s: %s\n", c.Lang, awaited, strings.Join(c.Missing, ", "))
		}
	}
	fmt.Fprintln(w)
}

func listCases(ctx context.Context, env *opsEnv, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("cases list", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	if err := fl.Parse(args); err != nil {
		return err
	}
	store, done, err := env.caseStore(*dataDir)
	if err != nil {
		return err
	}
	defer done()
	enc := json.NewEncoder(stdout)
	return store.Each(ctx, func(c casework.Case) error { return enc.Encode(c) })
}
