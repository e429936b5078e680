package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/menus"
)

// writeNumbers prints the prompts by the numbers staff type on the phone
// (the staff voice entry, voice.staff): number, key, text.
func writeNumbers(w io.Writer, cat *menus.Catalog, lang string) error {
	if lang == "" {
		lang = cat.Fallback()
	}
	if !cat.HasLanguage(lang) {
		return fmt.Errorf("prompts numbers: no language %q", lang)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for i, key := range cat.PromptKeys() {
		text := cat.Text(lang, key)
		if key == menus.LanguageNameKey {
			text = cat.LanguageName(lang)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", i+1, key, strings.ReplaceAll(text, "\n", " "))
	}
	return tw.Flush()
}

// printStaffKey prints the staff key of a number under the keys
// directory's newest caller-key version, to paste under voice.staff. The
// number is read from in when not given (so it stays out of the shell's
// history) and is never printed.
func printStaffKey(in io.Reader, out io.Writer, keysDir, number, country string) error {
	if _, err := os.Stat(keysDir); err != nil {
		return fmt.Errorf("prompts staff-key: give the server's --keys directory: %w", err)
	}
	kd, _, err := keystore.Open(keysDir)
	if err != nil {
		return err
	}
	if v, err := kd.Versions(callerid.Purpose); err != nil || len(v) == 0 {
		return fmt.Errorf("prompts staff-key: %s holds no caller key: give the server's --keys directory: %w", keysDir, errors.Join(err, errors.New("no key")))
	}
	kr, _, err := callerid.Load(kd)
	if err != nil {
		return err
	}
	if number == "" {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("prompts staff-key: read the number: %w", err)
		}
		number = strings.TrimSpace(line)
	}
	if !callerid.Possible(number, country) {
		return errors.New("prompts staff-key: that is not a phone number")
	}
	fmt.Fprintln(out, callerid.StaffKey(kr.Key(number, country)))
	return nil
}
