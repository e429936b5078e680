package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/menus"
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
	_, err := u.Play(ctx, list, func(s simulator.Screen) {
		marker := "CON"
		if s.End {
			marker = "END"
		}
		fmt.Fprintf(stdout, "--- %s\n%s\n", marker, s.Text)
	})
	return err
}

func lintMenus(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("menus lint", stderr)
	if err := fl.Parse(args); err != nil {
		return err
	}
	dir := fl.Arg(0)
	problems := menus.Lint(localesFS(dir))
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

func listCases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("cases list", stderr)
	dataDir := fl.String("data", "./data", "data directory (stop the server first: bbolt locks its file)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	store, err := boltstore.Open(filepath.Join(*dataDir, dbFile))
	if err != nil {
		return err
	}
	defer store.Close()
	enc := json.NewEncoder(stdout)
	return store.Each(ctx, func(c casework.Case) error { return enc.Encode(c) })
}
