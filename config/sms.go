package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// SMS is a channel's SMS settings: where replies are sent and the
// credentials to send them. Credentials are never written in the file:
// each is a Secret that names an environment variable or a file in the
// keys directory (only the demo may carry a literal, marked as such).
type SMS struct {
	// From is our short code or number replies come from; empty means
	// the number the caller texted.
	From string `yaml:"from"`
	// BaseURL of the provider's API; empty means the provider's
	// production URL. Tests and the demo point it at the simulator.
	BaseURL string `yaml:"base_url"`
	// PublicURL is the scheme and host the provider calls us at. Twilio
	// signs the URL it called, and the signature is checked against this
	// only, never the request's Host header: required for Twilio.
	PublicURL string `yaml:"public_url"`
	// Timeout bounds one send (default 10 s).
	Timeout time.Duration `yaml:"timeout"`

	// Africa's Talking.
	Username string `yaml:"username"`
	APIKey   Secret `yaml:"api_key"`
	// Twilio.
	AccountSID string `yaml:"account_sid"`
	AuthToken  Secret `yaml:"auth_token"`
	// Kannel: Username and Password of its sendsms-user; SMSC, when set,
	// is the smsc-id replies leave through (an SMPP bind, a modem).
	Password Secret `yaml:"password"`
	SMSC     string `yaml:"smsc"`
}

// Secret says where a credential is read from: Env (an environment
// variable's name), File (a file name inside the keys directory) or Demo
// (a literal allowed only when it starts with "demo-", for the shipped
// demo; the server warns when it uses one).
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
	Demo string `yaml:"demo"`
}

// IsZero reports whether no source is given.
func (s Secret) IsZero() bool { return s.Env == "" && s.File == "" && s.Demo == "" }

// IsDemo reports whether the secret is a published demo value.
func (s Secret) IsDemo() bool { return s.Demo != "" }

var secretFile = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Check refuses a secret given no way or two ways, a file outside the
// keys directory, or a literal that is not a published demo value; what
// names the field in the message.
func (s Secret) Check(what string) error {
	n := 0
	for _, v := range []string{s.Env, s.File, s.Demo} {
		if v != "" {
			n++
		}
	}
	switch {
	case n != 1:
		return fmt.Errorf("%s: give exactly one of env, file or demo", what)
	case s.File != "" && !secretFile.MatchString(s.File):
		return fmt.Errorf("%s: file must be a plain name inside the keys directory, got %q", what, s.File)
	case s.Demo != "" && !strings.HasPrefix(s.Demo, "demo-"):
		return fmt.Errorf("%s: a literal (demo:) value must start with \"demo-\": put real credentials in env or file", what)
	}
	return nil
}

// Resolve reads the secret. keysDir is where File is looked up. Errors
// name the source, never the value.
func (s Secret) Resolve(keysDir string) (string, error) {
	switch {
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("config: environment variable %s is not set", s.Env)
		}
		return strings.TrimSpace(v), nil
	case s.File != "":
		b, err := os.ReadFile(filepath.Join(keysDir, s.File))
		if err != nil {
			return "", fmt.Errorf("config: read secret file: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("config: secret file %s is empty", s.File)
		}
		return v, nil
	case s.Demo != "":
		return s.Demo, nil
	}
	return "", errors.New("config: no secret source")
}

// validateSMS checks what every provider's sms section must hold; the
// provider's own fields are its descriptor's (gateway/provider).
func validateSMS(ch Channel) []string {
	if ch.SMS == nil {
		return nil
	}
	var problems []string
	for _, u := range []struct{ name, v string }{{"base_url", ch.SMS.BaseURL}, {"public_url", ch.SMS.PublicURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			problems = append(problems, fmt.Sprintf("sms.%s must be an http(s) URL", u.name))
		}
	}
	if ch.SMS.Timeout < 0 {
		problems = append(problems, "sms.timeout must be positive")
	}
	return problems
}
