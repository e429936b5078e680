// Package casework holds the hotline's cases: what a complaint is once it has
// been taken in, the reference a caller is given to follow it up, and the
// Store contract that every storage back end (casework/boltstore,
// casework/memstore) fulfils.
//
// It must never see, store or log a phone number, and knows nothing of HTTP or
// of providers: a caller is only an opaque caller key (a keyed hash made by
// gateway/callerid). A reference is shown to a caller only after Submit has
// returned, which means the case is durably stored.
package casework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where a case stands in its lifecycle.
type Status string

// StatusNew is the status of a case that nobody has looked at yet.
const StatusNew Status = "new"

// Unknown is what Region and Cercle hold when the caller did not say.
const Unknown = "unknown"

// Case is one complaint or piece of feedback.
type Case struct {
	ID         string    `json:"id"`        // random, not guessable; internal, never shown to callers
	Reference  string    `json:"reference"` // 8 digits, first non-zero; what the caller writes down
	CallerKey  string    `json:"caller_key"`
	Channel    string    `json:"channel"`
	Medium     string    `json:"medium"` // "ussd", later "sms", "voice", "staff"
	Language   string    `json:"language"`
	Category   string    `json:"category"`
	Region     string    `json:"region"` // P-code or "unknown"
	Cercle     string    `json:"cercle"` // P-code or "unknown"
	Assistance string    `json:"assistance"`
	Detail     string    `json:"detail,omitempty"`
	Status     Status    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// Intake is what a channel hands over to open a case.
type Intake struct {
	// IdempotencyKey identifies the act of submitting, e.g.
	// "<channel>/<provider session id>": providers retry callbacks, and a
	// second Submit with the same key returns the first case, unchanged.
	IdempotencyKey string

	// Reference, when set, is the reference the case must get: a gateway
	// in front of a queue (see scaleout) shows it to the caller before the
	// case reaches the store. It must be a reference as NewReference makes
	// it (8 digits, first non-zero). Empty: the store draws one.
	Reference string

	CallerKey, Channel, Medium, Language, Category, Region, Cercle, Assistance, Detail string
}

var (
	// ErrNotFound is returned (wrapped) when no case matches a lookup.
	ErrNotFound = errors.New("casework: case not found")
	// ErrInvalidIntake is returned (wrapped) by Submit when an Intake fails
	// Validate; nothing has been written.
	ErrInvalidIntake = errors.New("casework: invalid intake")
	// ErrClosed is returned (wrapped) by a Store used after Close.
	ErrClosed = errors.New("casework: store is closed")
	// ErrReferenceTaken is returned (wrapped) by Submit when
	// Intake.Reference already belongs to a case with another idempotency
	// key; nothing has been written.
	ErrReferenceTaken = errors.New("casework: reference already taken")
)

// Limits on Intake fields, in bytes. They bound what one request can make a
// store keep; Detail is generous enough for a long concatenated SMS in any
// script.
const (
	MaxFieldBytes          = 256
	MaxIdempotencyKeyBytes = 512
	MaxDetailBytes         = 16 << 10
)

// Validate reports whether the Intake can become a case. Required: CallerKey,
// Channel, Medium, Language, Category, IdempotencyKey. Every field must be
// valid UTF-8 within its length limit; the key fields must not contain
// control characters (stores use NUL as a separator in their indexes).
// The error wraps ErrInvalidIntake and names the fields, never their values.
func (in Intake) Validate() error {
	var problems []string
	required := []struct{ name, v string }{
		{"idempotency key", in.IdempotencyKey},
		{"caller key", in.CallerKey},
		{"channel", in.Channel},
		{"medium", in.Medium},
		{"language", in.Language},
		{"category", in.Category},
	}
	for _, f := range required {
		if strings.TrimSpace(f.v) == "" {
			problems = append(problems, f.name+" is required")
		}
	}
	type field struct {
		name, v  string
		max      int
		keyField bool
	}
	fields := []field{
		{"idempotency key", in.IdempotencyKey, MaxIdempotencyKeyBytes, true},
		{"caller key", in.CallerKey, MaxFieldBytes, true},
		{"channel", in.Channel, MaxFieldBytes, true},
		{"medium", in.Medium, MaxFieldBytes, true},
		{"language", in.Language, MaxFieldBytes, true},
		{"category", in.Category, MaxFieldBytes, true},
		{"region", in.Region, MaxFieldBytes, true},
		{"cercle", in.Cercle, MaxFieldBytes, true},
		{"assistance", in.Assistance, MaxFieldBytes, true},
		{"detail", in.Detail, MaxDetailBytes, false},
	}
	for _, f := range fields {
		switch {
		case len(f.v) > f.max:
			problems = append(problems, fmt.Sprintf("%s is longer than %d bytes", f.name, f.max))
		case !utf8.ValidString(f.v):
			problems = append(problems, f.name+" is not valid UTF-8")
		case f.keyField && strings.IndexFunc(f.v, unicode.IsControl) >= 0:
			problems = append(problems, f.name+" contains control characters")
		}
	}
	if in.Reference != "" {
		if ref, ok := ParseReference(in.Reference); !ok || ref != in.Reference {
			problems = append(problems, "reference is not 8 digits with a non-zero first digit")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidIntake, strings.Join(problems, "; "))
	}
	return nil
}

// NewCase builds the case a store saves for a valid Intake. Stores call it so
// that every back end fills a case the same way (defaults, status, UTC time).
func NewCase(in Intake, id, reference string, now time.Time) Case {
	orUnknown := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return Unknown
		}
		return s
	}
	return Case{
		ID:         id,
		Reference:  reference,
		CallerKey:  in.CallerKey,
		Channel:    in.Channel,
		Medium:     in.Medium,
		Language:   in.Language,
		Category:   in.Category,
		Region:     orUnknown(in.Region),
		Cercle:     orUnknown(in.Cercle),
		Assistance: in.Assistance,
		Detail:     in.Detail,
		Status:     StatusNew,
		// UTC strips the monotonic reading, so a case compares equal to
		// itself after a round trip through storage.
		CreatedAt: now.UTC(),
	}
}

// NewID returns a fresh case ID: 16 bytes from crypto/rand, hex-encoded.
// IDs are not guessable, so one never leaks another.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	return hex.EncodeToString(b[:])
}

var (
	refSpan   = big.NewInt(90_000_000) // 10000000..99999999
	refOffset = big.NewInt(10_000_000)
)

// NewReference returns a random 8-digit reference whose first digit is not
// zero, drawn uniformly from crypto/rand. Uniqueness is the store's job: it
// draws again on collision.
func NewReference() string {
	n, err := rand.Int(rand.Reader, refSpan)
	if err != nil {
		// crypto/rand's Reader does not fail; rand.Int only errors on a
		// failing reader.
		panic(fmt.Sprintf("casework: crypto/rand failed: %v", err))
	}
	return n.Add(n, refOffset).String()
}

// FormatReference writes a reference for people: "12345678" → "1234 5678".
// Anything that is not 8 characters comes back unchanged.
func FormatReference(ref string) string {
	if len(ref) != 8 {
		return ref
	}
	return ref[:4] + " " + ref[4:]
}

// ParseReference reads a reference as a person types it: "1234 5678",
// "12345678", "1234-5678", with any spaces or dashes. It returns the 8 digits
// and true, or false if what remains is not 8 ASCII digits with a non-zero
// first digit (no reference is ever issued starting with 0).
func ParseReference(input string) (string, bool) {
	var b strings.Builder
	for _, r := range input {
		switch {
		case r >= '0' && r <= '9':
			if b.Len() == 8 {
				return "", false
			}
			b.WriteRune(r)
		case r == '-' || unicode.IsSpace(r):
		default:
			return "", false
		}
	}
	ref := b.String()
	if len(ref) != 8 || ref[0] == '0' {
		return "", false
	}
	return ref, true
}

// Store keeps cases. Implementations must be safe for concurrent use.
type Store interface {
	// Submit validates in and stores a new case, durably (an fsynced commit
	// or equivalent) before it returns. It is idempotent on
	// in.IdempotencyKey: a repeat returns the first case, unchanged.
	// Invalid input returns an error wrapping ErrInvalidIntake and writes
	// nothing.
	Submit(ctx context.Context, in Intake) (Case, error)
	// ByID returns the case with this ID, or an error wrapping ErrNotFound.
	ByID(ctx context.Context, id string) (Case, error)
	// ByReference returns the case with this reference, or an error
	// wrapping ErrNotFound. The reference may be written as a person
	// types it (see ParseReference).
	ByReference(ctx context.Context, ref string) (Case, error)
	// ByCallerKey returns the cases of one caller key, oldest first; none
	// is an empty result, not an error.
	ByCallerKey(ctx context.Context, callerKey string) ([]Case, error)
	// Each calls fn for every case that existed when Each was called, in
	// creation order, stopping at and returning fn's first error. fn may
	// use the store, including Submit.
	Each(ctx context.Context, fn func(Case) error) error
	// Check reports whether the store is open and writable (for /readyz).
	Check(ctx context.Context) error
	Close() error
}
