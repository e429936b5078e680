package casework

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/numerovert/hotline/config"
)

// Role is what a staff user of the MEAL web view may do.
type Role string

// Roles. Officers, supervisors and PSEA focal points act on their team's
// cases; a supervisor may also export them case by case; viewers and
// admins (coordination, donors, IT) see aggregates only.
const (
	RoleOfficer    Role = "officer"
	RoleSupervisor Role = "supervisor"
	RolePSEA       Role = "psea"
	RoleViewer     Role = "viewer"
	RoleAdmin      Role = "admin"
	// RoleProgramme writes the information line's pages and broadcasts
	// (issue 15); a supervisor approves them. It sees aggregates only.
	RoleProgramme Role = "programme"
	// RoleTranslator edits the callers' catalogue and records its prompts
	// in the language studio (issue 13). It sees aggregates only.
	RoleTranslator Role = "translator"
)

// Roles lists the valid roles.
var Roles = []Role{RoleOfficer, RoleSupervisor, RolePSEA, RoleViewer, RoleAdmin, RoleProgramme, RoleTranslator}

// ValidRole reports whether r is one of Roles.
func ValidRole(r Role) bool { return slices.Contains(Roles, r) }

// Casework reports whether the role works on cases (and so needs a team).
func (r Role) Casework() bool {
	return r == RoleOfficer || r == RoleSupervisor || r == RolePSEA
}

// User is a staff account. It never holds a password, only its argon2id
// hash.
type User struct {
	Name         string    `json:"name"` // login name
	FullName     string    `json:"full_name,omitempty"`
	Role         Role      `json:"role"`
	Team         string    `json:"team,omitempty"` // empty for viewer and admin
	PasswordHash string    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
	Disabled     bool      `json:"disabled,omitempty"`
	// Phone is the officer's own phone for masked call-backs, sealed by
	// the gateway's call-back key ("k1:…"); never shown on any page.
	Phone string `json:"phone,omitempty"`
	// OnDuty: the officer takes live calls in DutyLanguages during their
	// team's office hours (roster.go), since DutySince.
	OnDuty        bool      `json:"on_duty,omitempty"`
	DutyLanguages []string  `json:"duty_languages,omitempty"`
	DutySince     time.Time `json:"duty_since,omitzero"`
}

// Actor is the user as casework's Service sees them.
func (u User) Actor() Actor { return Actor{ID: u.Name, Team: u.Team} }

// APIToken lets another tool read aggregates. Only the SHA-256 of the
// token is kept: tokens are 32 random bytes, so a fast hash is enough.
type APIToken struct {
	Name      string    `json:"name"`
	Hash      string    `json:"hash"` // hex SHA-256 of the token
	CreatedAt time.Time `json:"created_at"`
}

// ErrNoUser is returned (wrapped) when a user or token does not exist.
var ErrNoUser = errors.New("casework: no such user")

// UserStore keeps staff accounts and API tokens. Implemented by
// casework/boltstore (the same file as the cases) and casework/memstore.
type UserStore interface {
	// PutUser creates or replaces the user with u.Name.
	PutUser(ctx context.Context, u User) error
	// User returns the user, or an error wrapping ErrNoUser.
	User(ctx context.Context, name string) (User, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
	// PutToken stores a token by its hash.
	PutToken(ctx context.Context, t APIToken) error
	// Token returns the token with this hash, or an error wrapping ErrNoUser.
	Token(ctx context.Context, hash string) (APIToken, error)
	// Tokens lists every token by creation time.
	Tokens(ctx context.Context) ([]APIToken, error)
	// DeleteToken revokes the token with this hash (ErrNoUser if none).
	DeleteToken(ctx context.Context, hash string) error
	// AddAdminEvent appends to the accounts' audit trail.
	AddAdminEvent(ctx context.Context, e AdminEvent) error
	// AdminEvents lists the accounts' audit trail, oldest first.
	AdminEvents(ctx context.Context) ([]AdminEvent, error)
}

// AdminEvent is one change to staff accounts or API tokens: who did what
// to which account or token (by name), never a password or token.
type AdminEvent struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`            // the admin's login name, or "cli"
	Action string    `json:"action"`           // user_created, user_disabled, user_enabled, password_reset, token_created, token_revoked
	Target string    `json:"target"`           // login name or token name
	Detail string    `json:"detail,omitempty"` // duty_on: the languages
}

// CheckUser keeps SEA with PSEA: the psea role belongs to a PSEA team and
// a PSEA team holds only psea users; case roles need a team of cfg, the
// others have none.
func CheckUser(cfg *config.Config, u User) error {
	if !ValidUserName(u.Name) {
		return fmt.Errorf("name %q: 2–32 of a-z, 0-9, '.', '_', '-'", u.Name)
	}
	if !ValidRole(u.Role) {
		return fmt.Errorf("role %q: want one of %v", u.Role, Roles)
	}
	if !u.Role.Casework() {
		if u.Team != "" {
			return fmt.Errorf("team: the %s role sees aggregates only and has no team", u.Role)
		}
		return nil
	}
	t, ok := cfg.Team(u.Team)
	if !ok {
		return fmt.Errorf("team %q is not a team of %s", u.Team, cfg.Source)
	}
	if (t.Kind == "psea") != (u.Role == RolePSEA) {
		return fmt.Errorf("role %s on team %s (%s): the psea role and PSEA teams go together", u.Role, t.ID, t.Kind)
	}
	return nil
}

var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// ValidUserName reports whether name is a login name: 2–32 of a-z, 0-9,
// '.', '_', '-', starting with a letter or digit.
func ValidUserName(name string) bool { return userName.MatchString(name) }

// argon2id parameters: OWASP's 2024 minimum (19 MiB, 2 passes, 1 lane),
// which a field-office laptop verifies in tens of milliseconds. They are
// written into each hash, so raising them later keeps old hashes valid.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
	// MinPasswordLen is the shortest password accepted.
	MinPasswordLen = 10
)

// HashPassword returns the argon2id hash of password in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("casework: password must have at least %d characters", MinPasswordLen)
	}
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash, in constant time.
// A malformed or empty hash never matches, but the work is still done, so
// timing does not tell whether a user exists.
func CheckPassword(hash, password string) bool {
	var m, t uint32
	var p uint8
	var version int
	parts := strings.Split(hash, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		ok = err1 == nil && err2 == nil && version == argon2.Version && m > 0 && m <= 1<<20 && t > 0 && t <= 16 && p > 0
	}
	var salt, want []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(want) > 0
	}
	if !ok {
		m, t, p, salt, want = argonMemory, argonTime, argonThreads, make([]byte, argonSaltLen), make([]byte, argonKeyLen)
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && ok
}

// NewSecret returns n random bytes, base64url-encoded, for generated
// passwords, API tokens and session ids.
func NewSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how API tokens are looked up: hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
