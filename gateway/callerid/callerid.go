// Package callerid turns a caller's phone number into a caller key: a
// versioned keyed hash that lets the hotline recognise a returning caller
// without ever storing the number.
//
// Why a keyed hash and not a salted one: Mali's numbers are 8 digits, so the
// whole national space is 10^8 values, and far fewer are in use (mobiles
// start 5, 6, 7, 8 or 9). Anyone holding a database with plain or salted
// SHA-256 hashes, salt included, can hash every possible number in minutes
// on a laptop and read the callers back. An HMAC-SHA256 key of 32 random
// bytes, kept in the keys directory and never in the database or its
// backups, makes that search impossible without the key. Deleting a key
// version unlinks every case made with it for good.
//
// The raw number lives only in the arguments of this package's functions,
// for the length of one request. This package must never log a number,
// return it inside an error, or write it anywhere.
package callerid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"

	"github.com/numerovert/hotline/keystore"
)

// Purpose names the caller-key secrets in the keys directory.
const Purpose = "callerid"

// Keyring hashes numbers with every caller-key version it holds. It is safe
// for concurrent use, UseKeys included: a rotation while serving swaps the
// versions and the memo of recent keys in one step.
type Keyring struct {
	state atomic.Pointer[keyState]
}

// keyState is what one set of versions needs; it is never changed once
// stored, only replaced.
type keyState struct {
	versions []version // newest first
	recent   *memo     // Key's results, by a keyed tag of the number
}

type version struct {
	name   string
	secret []byte
}

// Load reads every caller-key version from dir, creating k1 when there is
// none. created reports whether a key was made now.
func Load(dir keystore.Dir) (kr *Keyring, created bool, err error) {
	keys, created, err := dir.Keys(Purpose)
	if err != nil {
		return nil, false, fmt.Errorf("callerid: %w", err)
	}
	kr = &Keyring{}
	if err := kr.UseKeys(keys); err != nil {
		return nil, false, err
	}
	return kr, created, nil
}

// New builds a keyring from secrets, newest last, named k1, k2, … It is for
// tests and tools; the server uses Load.
func New(secrets ...[]byte) *Keyring {
	keys := make([]keystore.Key, len(secrets))
	for i, s := range secrets {
		keys[i] = keystore.Key{Version: fmt.Sprintf("k%d", i+1), Secret: s}
	}
	kr := &Keyring{}
	if err := kr.UseKeys(keys); err != nil {
		panic(err) // tests and tools give at least one secret
	}
	return kr
}

// UseKeys replaces the versions held by keys (oldest first, the last one
// current), as after `hotline keys rotate callerid` while serving. The memo
// of recent keys starts empty: it holds keys made with the old version.
func (kr *Keyring) UseKeys(keys []keystore.Key) error {
	if len(keys) == 0 {
		return fmt.Errorf("callerid: no key")
	}
	st := &keyState{recent: newMemo()}
	for _, k := range slices.Backward(keys) {
		st.versions = append(st.versions, version{name: k.Version, secret: k.Secret})
	}
	kr.state.Store(st)
	return nil
}

// Key returns the caller key for raw under the newest key version, written
// "k1:<base64url>". region is the ISO 3166 country of the channel ("ML"),
// used when raw carries no country code.
//
// A caller's number arrives on every hop, and parsing it is most of a hop's
// cost, so the key is remembered for the number's recent callers (see memo).
func (kr *Keyring) Key(raw, region string) string {
	st := kr.state.Load()
	tag := st.recent.tag(raw, region)
	if k, ok := st.recent.get(tag); ok {
		return k
	}
	k := st.versions[0].key(Normalize(raw, region))
	st.recent.put(tag, k)
	return k
}

// Keys returns the caller keys for raw under every version held, newest
// first, so that lookups still find cases made before a rotation.
func (kr *Keyring) Keys(raw, region string) []string {
	n := Normalize(raw, region)
	versions := kr.state.Load().versions
	out := make([]string, len(versions))
	for i, v := range versions {
		out[i] = v.key(n)
	}
	return out
}

func (v version) key(normalized string) string {
	mac := hmac.New(sha256.New, v.secret)
	mac.Write([]byte(normalized))
	return v.name + ":" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Normalize returns raw in E.164 form when libphonenumber can parse it,
// trying region for national numbers and a missing "+" for international
// ones. A number that will not parse is still accepted: it is reduced to its
// digits, so that the same caller always gets the same key and nobody is
// ever refused.
func Normalize(raw, region string) string {
	raw = strings.TrimSpace(raw)
	candidates := []string{raw}
	if d := digits(raw); d != "" && !strings.HasPrefix(raw, "+") && !strings.HasPrefix(raw, "00") {
		candidates = append(candidates, "+"+d)
	}
	var possible string
	for _, c := range candidates {
		num, err := phonenumbers.Parse(c, region)
		if err != nil {
			continue
		}
		e164 := phonenumbers.Format(num, phonenumbers.E164)
		if phonenumbers.IsValidNumber(num) {
			return e164
		}
		if possible == "" && phonenumbers.IsPossibleNumber(num) {
			possible = e164
		}
	}
	if possible != "" {
		return possible
	}
	return "digits:" + digits(raw)
}

// Possible reports whether raw can be a phone number someone could be
// answered at: digits with an optional "+" and the usual separators, that
// libphonenumber finds possible (for region when national). An
// alphanumeric sender such as "MTN", a short code or a few digits are not.
func Possible(raw, region string) bool {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.TrimLeft(raw, "+0123456789 ().-") != "" || strings.LastIndexByte(raw, '+') > 0 {
		return false
	}
	return !strings.HasPrefix(Normalize(raw, region), "digits:")
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// StaffKey derives from a caller key the key a staff member is listed
// under in the config (voice.staff, `hotline prompts staff-key`): "s1:…"
// for a "k1:…" caller key. It is a hash of the keyed hash, so it still
// needs the keys directory to compute from a number, and it equals no
// caller key in the cases: a config file names no complainant.
func StaffKey(callerKey string) string {
	v, _, ok := strings.Cut(callerKey, ":")
	if !ok || !strings.HasPrefix(v, "k") {
		return ""
	}
	h := sha256.Sum256([]byte("numerovert staff\x00" + callerKey))
	return "s" + v[1:] + ":" + base64.RawURLEncoding.EncodeToString(h[:])
}
