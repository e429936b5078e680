package menus

import "strings"

// Strings of the staff voice entry (issue 13: recording prompts by phone,
// gateway/voicestaff.go). Only staff on the config's list hear them, so a
// locale that lacks one is warned about but is no gap a caller meets
// (Strict does not fail on it); they are not in the prompt script either:
// staff hear them by text-to-speech.
const (
	StaffOffer    = "staff.offer"     // before the language menu: staff, press 0 to record prompts
	StaffLanguage = "staff.language"  // which language to record
	StaffNumber   = "staff.number"    // type the prompt's number (`hotline prompts numbers`), then #
	StaffNoPrompt = "staff.no_prompt" // no prompt has that number
	StaffSource   = "staff.source"    // before the French text of the prompt
	StaffRecord   = "staff.record"    // say it in the chosen language after the beep, then #
	StaffListen   = "staff.listen"    // before the recording is played back
	StaffKeep     = "staff.keep"      // 1 keep, 2 record again
	StaffSaved    = "staff.saved"     // kept: callers hear it from the next call
	StaffFailed   = "staff.failed"    // the recording could not be used: record again
)

// StaffStrings are the staff entry's strings.
var StaffStrings = []string{StaffOffer, StaffLanguage, StaffNumber, StaffNoPrompt, StaffSource, StaffRecord,
	StaffListen, StaffKeep, StaffSaved, StaffFailed}

// staffOnly reports whether key is heard by staff only, never by a caller.
func staffOnly(key string) bool { return strings.HasPrefix(key, "staff.") }

// PromptKeys lists the prompts a call plays that can be recorded, in the
// order of the prompt script; a prompt's number (`hotline prompts
// numbers`, typed on the staff entry) is its place here, from 1. The
// numbers are the same in every language.
func (c *Catalog) PromptKeys() []string {
	var out []string
	for _, key := range c.tree.voiceKeys() {
		if placeholderRE.MatchString(c.Text(c.fallback.code, key)) {
			continue // templated (the summary): assembled from other recordings
		}
		out = append(out, key)
	}
	return out
}

// InvalidKey is the string key of the "wrong key" notice (tree.yaml's
// messages), for screens the gateway speaks outside the tree.
func (c *Catalog) InvalidKey() string { return c.tree.messages[msgInvalid] }
