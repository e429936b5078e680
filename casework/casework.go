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

	"github.com/numerovert/hotline/internal/reference"
)

// Status is where a case stands in its lifecycle:
//
//	new → assigned → in_progress → resolved → closed
//	                      ↑______________|________|   (reopen)
//
// A case is routed to a team on intake and stays "new" until an officer of
// that team takes it (which acknowledges it).
type Status string

// The lifecycle's statuses.
const (
	StatusNew        Status = "new"
	StatusAssigned   Status = "assigned"
	StatusInProgress Status = "in_progress"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
)

// Unknown is what Region and Cercle hold when the caller did not say.
const Unknown = "unknown"

// Case is one complaint or piece of feedback.
type Case struct {
	ID        string `json:"id"`        // random, not guessable; internal, never shown to callers
	Reference string `json:"reference"` // 8 digits, first non-zero; what the caller writes down
	CallerKey string `json:"caller_key"`
	Channel   string `json:"channel"`
	Medium    string `json:"medium"` // "ussd", later "sms", "voice", "staff"
	Language  string `json:"language"`
	Category  string `json:"category"` // current coding; see CallerCategory
	Region    string `json:"region"`   // P-code or "unknown"
	Cercle    string `json:"cercle"`   // P-code or "unknown"
	// Locality is the commune or distribution site below the cercle (an
	// ADM3 P-code or the deployment's own code, config `localities`),
	// "unknown", or empty where the deployment lists none for the cercle.
	Locality   string    `json:"locality,omitempty"`
	Assistance string    `json:"assistance"`
	Detail     string    `json:"detail,omitempty"`
	Status     Status    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`

	// Coding: CallerCategory is what the caller chose and never changes;
	// Type, Category and Code are the officers' coding.
	CallerCategory string `json:"caller_category,omitempty"`
	Type           string `json:"type,omitempty"`
	Code           string `json:"code,omitempty"`

	// Routing: the team that owns the case and the rule that chose it.
	Team       string   `json:"team,omitempty"`
	Rule       string   `json:"rule,omitempty"`
	Programmes []string `json:"programmes,omitempty"` // programmes the case may be about
	Officer    string   `json:"officer,omitempty"`

	Sensitive bool `json:"sensitive,omitempty"`
	// PSEAOnly is set once the case is, or was ever, coded as sexual
	// exploitation and abuse (config.SEA), and never cleared: whatever it
	// is recoded to, only PSEA teams hold it, see it or count it.
	PSEAOnly         bool      `json:"psea_only,omitempty"`
	Priority         string    `json:"priority,omitempty"`
	AcknowledgeBy    time.Time `json:"acknowledge_by,omitzero"`
	ResolveBy        time.Time `json:"resolve_by,omitzero"`
	AcknowledgedAt   time.Time `json:"acknowledged_at,omitzero"`
	AckEscalated     bool      `json:"ack_escalated,omitempty"`
	ResolveEscalated bool      `json:"resolve_escalated,omitempty"`

	// Response is what the caller hears on follow-up, by language.
	Response map[string]string `json:"response,omitempty"`
	Notes    []Note            `json:"notes,omitempty"`
	// ReferredTo lists the referral directory's services (config
	// `referrals:` ids) the caller was referred to, in order (Refer).
	ReferredTo []string  `json:"referred_to,omitempty"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`

	// PINHash is a keyed hash ("k1:…") of the follow-up PIN; the PIN
	// itself is never kept.
	PINHash string `json:"pin_hash,omitempty"`
	// Contact is the sealed opt-in name and village ("k1:…"), readable
	// only with the seal key and only by the assigned team.
	Contact string `json:"contact,omitempty"`
	// Appended holds the idempotency keys of later messages added to
	// Detail (AppendToOpenCase), so a retried message is added once.
	Appended []string `json:"appended,omitempty"`
	// Recording is the id of the caller's voice message (voice calls),
	// kept encrypted in the recordings store; Service.Recording plays it.
	Recording string `json:"recording,omitempty"`
	// SpokenAnswer is the id of the team's spoken answer (spoken.go), in
	// the recordings store like a voice message: a voice follow-up plays
	// it once the case is answered.
	SpokenAnswer string `json:"spoken_answer,omitempty"`
	// PurgedAt is when retention removed the free text, contact and
	// caller key; what remains is anonymous aggregate fields.
	PurgedAt time.Time `json:"purged_at,omitzero"`

	// CallBack is the caller's number sealed by the gateway for a masked
	// call-back ("k1:…", AES-256-GCM under the call-back key, bound to
	// this case's ID). Casework holds no key that opens it: it only
	// decides who may ask for the call and when (callback.go). Deleted
	// when the case closes, at CallBackUntil, and at purge.
	CallBack      string    `json:"callback,omitempty"`
	CallBackUntil time.Time `json:"callback_until,omitzero"`
	// CallBackAttempts counts calls placed to the caller since the last
	// one they answered (bounded by the channel's callback.attempts).
	CallBackAttempts int `json:"callback_attempts,omitempty"`
}

// Open reports whether the case still awaits an answer or closing.
func (c Case) Open() bool { return c.Status != StatusClosed }

// Note is an internal note by an officer; never shown to callers.
type Note struct {
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// Event is one line of a case's append-only audit trail: who did what,
// when. Detail never holds free text from or about the caller.
type Event struct {
	CaseID string    `json:"case_id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // officer id, or "system"
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
}

// Audit actions.
const (
	ActionCreated     = "created"
	ActionRouted      = "routed"
	ActionAssigned    = "assigned"
	ActionStarted     = "started"
	ActionResolved    = "resolved"
	ActionClosed      = "closed"
	ActionReopened    = "reopened"
	ActionRecoded     = "recoded"
	ActionNoted       = "noted"
	ActionViewed      = "viewed"
	ActionContactRead = "contact_viewed"
	ActionOverdue     = "overdue"
	ActionEscalated   = "escalated"
	ActionPurged      = "purged"
	ActionListened    = "recording_played"
	ActionSpoken      = "spoken_answer" // the team's spoken answer was recorded (spoken.go)
	// Masked call-back (callback.go). Details name attempts, outcomes
	// and durations, never a number.
	ActionCallBackOffered   = "callback_agreed"
	ActionCallBackRequested = "callback_requested"
	ActionCallBackOutcome   = "callback_outcome"
	ActionCallBackDeleted   = "callback_deleted"
)

// System is the actor of what the hotline does by itself.
const System = "system"

// Contact is what a caller chose to leave so that a team can visit them
// (exclusion complaints only). It is sealed before storage.
type Contact struct {
	Name    string `json:"name"`
	Village string `json:"village"`
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

	// ID and PINHash are the case ID and the keyed hash of the PIN that a
	// gateway in front of a queue drew and showed the caller (PINs.New,
	// with the casework node's PIN keys): the case keeps them, so the PIN
	// shown works on follow-up. Empty: Submit draws both. A PIN hash needs
	// its ID; an ID may come alone, when the gateway sealed something bound
	// to it (CallBack). Only a trusted gateway may set them; staff intake
	// never does.
	ID, PINHash string

	CallerKey, Channel, Medium, Language, Category, Region, Cercle, Assistance, Detail string

	// Locality is the commune or site below the cercle, when asked.
	Locality string

	// Contact is the optional opt-in contact for exclusion complaints.
	Contact *Contact

	// Recording is the id of the caller's voice message in the recordings
	// store (encrypted there), for complaints made by phone call.
	Recording string

	// CallBack is the caller's number sealed by the gateway for a masked
	// call-back, bound to ID (which must then be set): the caller agreed
	// to be called back by an independent officer.
	CallBack string
}

var (
	// ErrNotFound is returned (wrapped) when no case matches a lookup.
	ErrNotFound = errors.New("casework: case not found")
	// ErrInvalidIntake is returned (wrapped) by Submit when an Intake fails
	// Validate; nothing has been written.
	ErrInvalidIntake = errors.New("casework: invalid intake")
	// ErrClosed is returned (wrapped) by a Store used after Close.
	ErrClosed = errors.New("casework: store is closed")
	// ErrInvalidTransition is returned (wrapped) for a lifecycle move the
	// case's status does not allow.
	ErrInvalidTransition = errors.New("casework: invalid transition")
	// ErrForbidden is returned (wrapped) when an officer acts on a case
	// that is not their team's.
	ErrForbidden = errors.New("casework: not this team's case")
	// ErrReferenceTaken is returned (wrapped) by Service.Submit when
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
		{"locality", in.Locality, MaxFieldBytes, true},
		{"assistance", in.Assistance, MaxFieldBytes, true},
		{"detail", in.Detail, MaxDetailBytes, false},
		{"recording", in.Recording, MaxFieldBytes, true},
	}
	if in.Contact != nil {
		fields = append(fields,
			field{"contact name", in.Contact.Name, MaxFieldBytes, true},
			field{"contact village", in.Contact.Village, MaxFieldBytes, true})
		if strings.TrimSpace(in.Contact.Name) == "" && strings.TrimSpace(in.Contact.Village) == "" {
			problems = append(problems, "contact is empty")
		}
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
	if in.PINHash != "" && in.ID == "" {
		problems = append(problems, "a PIN hash comes with its case ID")
	}
	if in.CallBack != "" && in.ID == "" {
		problems = append(problems, "a sealed call-back number comes with the case ID it is bound to")
	}
	if len(in.CallBack) > MaxIdempotencyKeyBytes || strings.IndexFunc(in.CallBack, unicode.IsControl) >= 0 {
		problems = append(problems, "sealed call-back number is malformed")
	}
	if in.ID != "" && !isID(in.ID) {
		problems = append(problems, "case ID is not 32 lower-case hex digits")
	}
	if len(in.PINHash) > MaxFieldBytes || strings.IndexFunc(in.PINHash, unicode.IsControl) >= 0 {
		problems = append(problems, "PIN hash is malformed")
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
		ID:        id,
		Reference: reference,
		CallerKey: in.CallerKey,
		Channel:   in.Channel,
		Medium:    in.Medium,
		Language:  in.Language,
		Category:  in.Category,
		// The caller's own choice survives any recoding.
		CallerCategory: in.Category,
		Region:         orUnknown(in.Region),
		Cercle:         orUnknown(in.Cercle),
		Locality:       in.Locality,
		Assistance:     in.Assistance,
		Detail:         in.Detail,
		Recording:      in.Recording,
		Status:         StatusNew,
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

// isID reports whether id is as NewID makes them.
func isID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
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

// FormatReference writes a reference for people: "12345678" → "1234 5678"
// (reference.Format).
func FormatReference(ref string) string { return reference.Format(ref) }

// ParseReference reads a reference as a person types it, spaces and
// dashes allowed; false unless 8 digits not starting with 0 remain
// (reference.Parse).
func ParseReference(input string) (string, bool) { return reference.Parse(input) }

// Store keeps cases and their audit trails. Stores persist; they decide
// nothing (routing, lifecycle and PIN checks live in Service). They must be
// safe for concurrent use.
type Store interface {
	// Create stores c under a fresh reference that the store draws (any
	// Reference in c is replaced), with events as the start of its audit
	// trail, durably (an fsynced commit or equivalent) before it returns.
	// It is idempotent on idempotencyKey: if a case was created with it,
	// that case is returned unchanged with created false and nothing is
	// written. c.ID must be set and unused.
	Create(ctx context.Context, idempotencyKey string, c Case, events []Event) (stored Case, created bool, err error)
	// Update runs fn on the current case and, when fn succeeds, stores the
	// changed case and appends the events fn returns to the audit trail,
	// atomically and durably. fn may run more than once and must depend
	// only on its argument. An error from fn is returned wrapped and
	// nothing is written. fn must not change ID or Reference. A changed
	// CallerKey (emptied by retention) updates ByCallerKey.
	Update(ctx context.Context, id string, fn func(*Case) ([]Event, error)) (Case, error)
	// Record appends events to audit trails (views, which change no case).
	Record(ctx context.Context, events ...Event) error
	// Audit returns a case's trail in the order it was written.
	Audit(ctx context.Context, caseID string) ([]Event, error)
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
	// use the store, including Create and Update.
	Each(ctx context.Context, fn func(Case) error) error
	// Check reports whether the store is open and writable (for /readyz).
	Check(ctx context.Context) error
	Close() error
}

// Preferences remembers what a caller chose, by caller key only, so that a
// returning caller is served in their language. Implementations store it
// durably and must be safe for concurrent use.
type Preferences interface {
	// SetLanguage records lang as the caller's language, replacing any
	// earlier one. Invalid input returns an error wrapping
	// ErrInvalidPreference and writes nothing.
	SetLanguage(ctx context.Context, callerKey, lang string) error
	// Language returns the caller's language; ok is false when none is
	// recorded (which is not an error).
	Language(ctx context.Context, callerKey string) (lang string, ok bool, err error)
}

// ErrInvalidPreference is returned (wrapped) by SetLanguage for an empty or
// malformed caller key or language.
var ErrInvalidPreference = errors.New("casework: invalid preference")

// ValidatePreference checks a caller key and a language the way stores
// need them: non-empty, valid UTF-8, no control characters, within
// MaxFieldBytes. The error names the field, never its value.
func ValidatePreference(callerKey, lang string) error {
	for _, f := range []struct{ name, v string }{{"caller key", callerKey}, {"language", lang}} {
		switch {
		case strings.TrimSpace(f.v) == "":
			return fmt.Errorf("%w: %s is required", ErrInvalidPreference, f.name)
		case len(f.v) > MaxFieldBytes:
			return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidPreference, f.name, MaxFieldBytes)
		case !utf8.ValidString(f.v) || strings.IndexFunc(f.v, unicode.IsControl) >= 0:
			return fmt.Errorf("%w: %s is not printable UTF-8", ErrInvalidPreference, f.name)
		}
	}
	return nil
}
