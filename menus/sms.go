package menus

import (
	"fmt"
	"io/fs"

	"go.yaml.in/yaml/v3"
)

// SMSSection is the `sms:` section of a locale file: its language's SMS
// replies and keywords. The menus only carry it (a language is one file);
// the gateway, which sends SMS, gives the fields their meaning and checks
// them (gateway.LoadSMSTexts, gateway.LintSMS).
type SMSSection struct {
	Lang string     // the file's language code
	File string     // the locale file, e.g. "bm.yaml", for problems
	Node *yaml.Node // the section's mapping, with the file's line numbers
}

// SMSSections returns the `sms:` section of every locale file of fsys (the
// locales directory), in menu order; a locale without one is left out.
// Problems in the rest of the files are Lint's to report, not this one's.
func SMSSections(fsys fs.FS) ([]SMSSection, error) {
	s := &source{}
	s.readLocales(fsys)
	if len(s.locales) == 0 {
		return nil, fmt.Errorf("menus: sms sections: no locale files in the locales directory")
	}
	var out []SMSSection
	for _, l := range s.locales {
		if l.sms != nil {
			out = append(out, SMSSection{Lang: l.code, File: l.file, Node: l.sms})
		}
	}
	return out, nil
}
