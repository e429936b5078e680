package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/keystore"
)

// Service is casework's domain over a Store: it routes cases on intake,
// enforces the lifecycle and who may see what, writes the audit trail,
// answers callers' follow-ups and runs the deadline and retention jobs.
// Stores only persist; every decision is made here, once for all back
// ends.
type Service struct {
	store    Store
	cfg      atomic.Pointer[config.Config] // SetConfig replaces it while serving
	pins     *PINs
	seals    atomic.Pointer[keyring] // replaced whole by UseKeys
	now      func() time.Time
	log      *slog.Logger
	limiter  *attempts
	records  Recordings
	onChange func(Case)
	onInfo   func()
	// overdueNow is how many cases were past a deadline at the last
	// CheckDeadlines (-1 before the first), for /metrics.
	overdueNow atomic.Int64
}

// Options wires a Service.
type Options struct {
	Store  Store
	Config *config.Config // validated
	// PINKeys and SealKeys are the versions held of the "pin" and "seal"
	// secrets (keystore.Dir.Keys), oldest first; the last is current.
	PINKeys, SealKeys []keystore.Key
	// Now is the clock; tests pass a fake one. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// MaxAttempts wrong follow-up attempts are allowed per caller key and
	// per reference in each AttemptWindow. Defaults: 5 per hour.
	MaxAttempts   int
	AttemptWindow time.Duration
	// Recordings holds voice messages (encrypted); nil when this process
	// keeps none, and Recording then answers ErrNotFound.
	Recordings Recordings
	// OnChange, when set, is told of every case after it is stored,
	// changed or purged: the casework node publishes each case's public
	// status to the Redis mirror with it. It must not block.
	OnChange func(Case)
	// OnInfo, when set, is told after an information page goes live,
	// changes its live text or recording (the scale-out mirror of the
	// information line). It must not block.
	OnInfo func()
}

// Recordings is where callers' voice messages are kept (the recordings
// package); casework reads them back for the case's team and deletes them
// at retention (Purge).
type Recordings interface {
	Get(ctx context.Context, id string) ([]byte, error)
	// Delete removes a message; deleting one that is not there is no error.
	Delete(ctx context.Context, id string) error
}

// Defaults for Options.
const (
	DefaultMaxAttempts   = 5
	DefaultAttemptWindow = time.Hour
)

// ContactCategories are the categories for which a caller may leave a
// name and village, so that a team can verify by visiting.
var ContactCategories = []string{"exclusion"}

// MaxResponseBytes bounds one language's response to a caller.
const MaxResponseBytes = 1024

// NewService checks o and returns a Service.
func NewService(o Options) (*Service, error) {
	if o.Store == nil || o.Config == nil {
		return nil, errors.New("casework: service needs a store and a config")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.AttemptWindow <= 0 {
		o.AttemptWindow = DefaultAttemptWindow
	}
	s := &Service{
		store: o.Store, now: o.Now, log: o.Logger,
		limiter: newAttempts(o.MaxAttempts, o.AttemptWindow),
		records: o.Recordings, onChange: o.OnChange, onInfo: o.OnInfo, pins: &PINs{},
	}
	if s.onInfo == nil {
		s.onInfo = func() {}
	}
	if s.onChange == nil {
		s.onChange = func(Case) {}
	}
	if err := s.UseKeys(PINKeyPurpose, o.PINKeys); err != nil {
		return nil, err
	}
	if err := s.UseKeys(SealKeyPurpose, o.SealKeys); err != nil {
		return nil, err
	}
	s.cfg.Store(o.Config)
	s.overdueNow.Store(-1)
	return s, nil
}

// UseKeys replaces the versions held of the PIN-hash or contact-seal
// secret (purpose PINKeyPurpose or SealKeyPurpose) by keys, oldest first,
// the last one current: after `hotline keys rotate pin` while serving, new
// cases use the new version and older cases still open with theirs.
func (s *Service) UseKeys(purpose string, keys []keystore.Key) error {
	switch purpose {
	case PINKeyPurpose:
		return s.pins.UseKeys(keys)
	case SealKeyPurpose:
		kr, err := checkKeys(purpose, keys)
		if err != nil {
			return err
		}
		s.seals.Store(&kr)
	default:
		return fmt.Errorf("casework: no key purpose %q", purpose)
	}
	return nil
}

// Config returns the configuration in use.
func (s *Service) Config() *config.Config { return s.cfg.Load() }

// SetConfig replaces the teams, programmes, codebook and deadlines for
// every operation that starts after it (a reload). Cases keep the team
// they were routed to; a case re-routed later uses the new rules.
func (s *Service) SetConfig(cfg *config.Config) { s.cfg.Store(cfg) }

// time returns the clock in UTC without a monotonic reading, so stored
// times compare equal after a round trip.
func (s *Service) time() time.Time { return s.now().UTC() }

// Check reports whether the store is open and writable (for /readyz).
func (s *Service) Check(ctx context.Context) error { return s.store.Check(ctx) }

// Receipt is what a caller is told once their complaint is stored.
type Receipt struct {
	Case Case
	// PIN is the 4-digit follow-up PIN, to show the caller now: only its
	// keyed hash is kept. It is empty when the submission repeated an
	// earlier one (a retried callback), whose PIN cannot be shown again,
	// and when the intake brought its own PIN hash (Intake.PINHash).
	PIN string
	// TeamName says who reviews the complaint; AnswerBy when the caller
	// can expect an answer (WFP's minimum standard for complaint
	// mechanisms).
	TeamName string
	AnswerBy time.Time
}

// Submit routes a complaint, stores it durably (idempotent on
// in.IdempotencyKey) and returns the receipt to show the caller. Invalid
// input returns an error wrapping ErrInvalidIntake and stores nothing.
func (s *Service) Submit(ctx context.Context, in Intake) (Receipt, error) {
	if err := in.Validate(); err != nil {
		return Receipt{}, fmt.Errorf("casework: submit: %w", err)
	}
	if in.Contact != nil && !slices.Contains(ContactCategories, in.Category) {
		return Receipt{}, fmt.Errorf("casework: submit: %w: contact details are only taken for %s complaints", ErrInvalidIntake, strings.Join(ContactCategories, ", "))
	}
	now := s.time()
	id := in.ID
	if id == "" {
		id = NewID()
	}
	c := NewCase(in, id, in.Reference, now) // reference "": the store draws one
	r, err := Route(s.Config(), c.Category, c.Region, c.Cercle, c.Locality, c.Assistance)
	if err != nil {
		return Receipt{}, fmt.Errorf("casework: submit: %w", err)
	}
	c.Team, c.Rule, c.Programmes = r.Team, r.Rule, r.Programmes
	s.applyCategory(&c)
	c.UpdatedAt = now
	var pin string
	if c.PINHash = in.PINHash; c.PINHash == "" {
		pin, c.PINHash = s.pins.New(c.ID)
	}
	if in.Contact != nil {
		if c.Contact, err = s.seals.Load().seal(c.ID, *in.Contact); err != nil {
			return Receipt{}, fmt.Errorf("casework: submit: %w", err)
		}
	}
	events := []Event{
		{CaseID: c.ID, At: now, Actor: System, Action: ActionCreated, Detail: "medium " + c.Medium + ", category " + c.Category},
		{CaseID: c.ID, At: now, Actor: System, Action: ActionRouted, Detail: c.Rule},
	}
	events = append(events, takeCallBack(&c, in, now)...)
	stored, created, err := s.store.Create(ctx, in.IdempotencyKey, c, events)
	if err != nil {
		return Receipt{}, fmt.Errorf("casework: submit: %w", err)
	}
	if !created {
		pin = ""
	}
	s.onChange(stored)
	team, _ := s.Config().Team(stored.Team)
	return Receipt{Case: stored, PIN: pin, TeamName: team.Name, AnswerBy: stored.ResolveBy}, nil
}

// applyCategory sets the coding and deadlines that follow from c.Category.
// Deadlines run from creation; a category missing from the codebook gets
// the defaults of an ordinary one.
func (s *Service) applyCategory(c *Case) {
	cat, ok := s.Config().Category(c.Category)
	if !ok {
		cat = config.Category{Priority: "normal", Acknowledge: config.Duration(config.DefaultAcknowledge), Resolve: config.Duration(config.DefaultResolve)}
	}
	c.Type = cat.Type
	c.Sensitive = cat.Sensitive
	if c.Category == config.SEA || c.CallerCategory == config.SEA {
		c.PSEAOnly = true // sticky: see Case.PSEAOnly
	}
	c.Sensitive = c.Sensitive || c.PSEAOnly
	c.Priority = cat.Priority
	c.AcknowledgeBy = c.CreatedAt.Add(time.Duration(cat.Acknowledge))
	c.ResolveBy = c.CreatedAt.Add(time.Duration(cat.Resolve))
}

// retention is how long after closing a case keeps what identifies.
func (s *Service) retention(category string) time.Duration {
	if cat, ok := s.Config().Category(category); ok {
		return time.Duration(cat.Retention)
	}
	return config.DefaultRetention
}

// Actor is a signed-in officer: who they are and the team they act for.
type Actor struct {
	ID   string
	Team string
}

// errUnchanged tells Update's caller that fn found nothing to do.
var errUnchanged = errors.New("unchanged")

// change applies a lifecycle or coding move for an officer of the case's
// team and audits it.
func (s *Service) change(ctx context.Context, who Actor, id, op string, apply func(c *Case, now time.Time) ([]Event, error)) (Case, error) {
	now := s.time()
	c, err := s.store.Update(ctx, id, func(c *Case) ([]Event, error) {
		if who.ID == "" || !s.holds(who, *c) {
			return nil, ErrForbidden
		}
		if !c.PurgedAt.IsZero() {
			return nil, fmt.Errorf("%w: the case was purged", ErrInvalidTransition)
		}
		events, err := apply(c, now)
		if err != nil {
			return nil, err
		}
		c.UpdatedAt = now
		for i := range events {
			events[i].CaseID, events[i].At, events[i].Actor = c.ID, now, who.ID
		}
		return events, nil
	})
	if err != nil {
		return Case{}, fmt.Errorf("casework: %s: %w", op, err)
	}
	s.onChange(c)
	return c, nil
}

func from(c *Case, allowed ...Status) error {
	if !slices.Contains(allowed, c.Status) {
		return fmt.Errorf("%w: case is %s", ErrInvalidTransition, c.Status)
	}
	return nil
}

// Assign gives a new (or reassigns an assigned) case to an officer of its
// team; the first assignment acknowledges the case.
func (s *Service) Assign(ctx context.Context, who Actor, id, officer string) (Case, error) {
	return s.change(ctx, who, id, "assign", func(c *Case, now time.Time) ([]Event, error) {
		if strings.TrimSpace(officer) == "" {
			return nil, errors.New("no officer given")
		}
		if err := from(c, StatusNew, StatusAssigned); err != nil {
			return nil, err
		}
		c.Status, c.Officer = StatusAssigned, officer
		if c.AcknowledgedAt.IsZero() {
			c.AcknowledgedAt = now
		}
		return []Event{{Action: ActionAssigned, Detail: "to " + officer}}, nil
	})
}

// Start moves an assigned case into progress.
func (s *Service) Start(ctx context.Context, who Actor, id string) (Case, error) {
	return s.change(ctx, who, id, "start", func(c *Case, _ time.Time) ([]Event, error) {
		if err := from(c, StatusAssigned); err != nil {
			return nil, err
		}
		c.Status = StatusInProgress
		return []Event{{Action: ActionStarted}}, nil
	})
}

// Resolve records the answer the caller will hear on follow-up, by
// language; it must include the case's language.
func (s *Service) Resolve(ctx context.Context, who Actor, id string, response map[string]string) (Case, error) {
	return s.change(ctx, who, id, "resolve", func(c *Case, now time.Time) ([]Event, error) {
		if err := from(c, StatusInProgress); err != nil {
			return nil, err
		}
		if strings.TrimSpace(response[c.Language]) == "" {
			return nil, fmt.Errorf("a response in the caller's language (%s) is required", c.Language)
		}
		for lang, text := range response {
			if len(text) > MaxResponseBytes || !utf8.ValidString(text) {
				return nil, fmt.Errorf("response in %s: not valid UTF-8 or longer than %d bytes", lang, MaxResponseBytes)
			}
		}
		c.Status, c.Response, c.ResolvedAt = StatusResolved, maps.Clone(response), now
		langs := slices.Sorted(maps.Keys(response))
		return []Event{{Action: ActionResolved, Detail: "response in " + strings.Join(langs, ", ")}}, nil
	})
}

// Close closes a resolved case; its retention period starts now.
func (s *Service) Close(ctx context.Context, who Actor, id string) (Case, error) {
	return s.change(ctx, who, id, "close", func(c *Case, now time.Time) ([]Event, error) {
		if err := from(c, StatusResolved); err != nil {
			return nil, err
		}
		c.Status, c.ClosedAt = StatusClosed, now
		return append([]Event{{Action: ActionClosed}}, dropCallBack(c, now, "case closed")...), nil
	})
}

// Reopen puts a resolved or closed case back in progress with a fresh
// resolve deadline. A reason, if given, is kept as an internal note.
func (s *Service) Reopen(ctx context.Context, who Actor, id, reason string) (Case, error) {
	return s.change(ctx, who, id, "reopen", func(c *Case, now time.Time) ([]Event, error) {
		if err := from(c, StatusResolved, StatusClosed); err != nil {
			return nil, err
		}
		was := c.Status
		c.Status, c.ClosedAt, c.ResolvedAt = StatusInProgress, time.Time{}, time.Time{}
		cat, ok := s.Config().Category(c.Category)
		window := config.DefaultResolve
		if ok {
			window = time.Duration(cat.Resolve)
		}
		c.ResolveBy, c.ResolveEscalated = now.Add(window), false
		if strings.TrimSpace(reason) != "" {
			c.Notes = append(c.Notes, Note{At: now, Author: who.ID, Text: reason})
		}
		return []Event{{Action: ActionReopened, Detail: "from " + string(was)}}, nil
	})
}

// Note adds an internal note (never shown to callers; the audit trail
// records that a note was added, not its text).
func (s *Service) Note(ctx context.Context, who Actor, id, text string) (Case, error) {
	return s.change(ctx, who, id, "note", func(c *Case, now time.Time) ([]Event, error) {
		if strings.TrimSpace(text) == "" || len(text) > MaxDetailBytes || !utf8.ValidString(text) {
			return nil, errors.New("a note must be non-empty valid UTF-8 within the detail limit")
		}
		c.Notes = append(c.Notes, Note{At: now, Author: who.ID, Text: text})
		return []Event{{Action: ActionNoted}}, nil
	})
}

// Recode changes a case's coding to category and code (code may be
// empty) from the codebook; the caller's own choice stays in
// CallerCategory. If the case's team may not hold the new category (say a
// fraud report recoded as sexual abuse), the case is routed afresh and
// goes back to new in the other team's queue.
func (s *Service) Recode(ctx context.Context, who Actor, id, category, code string) (Case, error) {
	cat, ok := s.Config().Category(category)
	if !ok {
		return Case{}, fmt.Errorf("casework: recode: category %q is not in the codebook", category)
	}
	if code != "" && !slices.ContainsFunc(cat.Codes, func(c config.Code) bool { return c.ID == code }) {
		return Case{}, fmt.Errorf("casework: recode: code %q is not in category %s", code, category)
	}
	return s.change(ctx, who, id, "recode", func(c *Case, _ time.Time) ([]Event, error) {
		if c.Status == StatusClosed {
			return nil, fmt.Errorf("%w: reopen a closed case to recode it", ErrInvalidTransition)
		}
		detail := fmt.Sprintf("%s/%s → %s/%s", c.Category, c.Code, cat.ID, code)
		c.Category, c.Code = cat.ID, code
		ack, resolve := c.AckEscalated, c.ResolveEscalated
		s.applyCategory(c)
		c.AckEscalated, c.ResolveEscalated = ack, resolve
		events := []Event{{Action: ActionRecoded, Detail: detail}}
		if c.PSEAOnly {
			// Once SEA, always with PSEA: a PSEA team keeps it whatever
			// the new coding; a case just recoded to SEA goes to one.
			if team, ok := s.Config().Team(c.Team); ok && team.Kind == pseaKind {
				return events, nil
			}
			r, err := Route(s.Config(), config.SEA, c.Region, c.Cercle, c.Locality, c.Assistance)
			if err != nil {
				return nil, err
			}
			c.Team, c.Rule, c.Programmes = r.Team, r.Rule+" (once coded "+config.SEA+", PSEA only)", r.Programmes
			c.Status, c.Officer = StatusNew, ""
			return append(events, Event{Action: ActionRouted, Detail: c.Rule}), nil
		}
		r, err := Route(s.Config(), c.Category, c.Region, c.Cercle, c.Locality, c.Assistance)
		if err != nil {
			return nil, err
		}
		if team, ok := s.Config().Team(c.Team); ok && team.Handles(cat) && !s.conflicted(team, r.Programmes) {
			return events, nil
		}
		c.Team, c.Rule, c.Programmes = r.Team, r.Rule, r.Programmes
		c.Status, c.Officer = StatusNew, ""
		return append(events, Event{Action: ActionRouted, Detail: r.Rule}), nil
	})
}

func (s *Service) conflicted(t config.Team, programmes []string) bool {
	for _, id := range programmes {
		for _, p := range s.Config().Programmes {
			if p.ID == id && (slices.Contains(t.Exclude.Programmes, p.ID) || slices.Contains(t.Exclude.Organisations, p.Organisation)) {
				return true
			}
		}
	}
	return false
}

// CaseView is a case as an officer sees it: no caller key, no PIN hash,
// no sealed contact, and the count of the caller's other reports.
type CaseView struct {
	Case
	// OtherReports counts the caller's other cases ("this caller made 2
	// other reports"). Cases only PSEA may see are not counted for
	// other teams.
	OtherReports int
	HasContact   bool
	// HasCallBack: the caller asked to be called back and the sealed
	// number is still kept (never the number itself).
	HasCallBack bool
}

// Summary is one line of a team's queue.
type Summary struct {
	ID, Reference, Category, Code, Priority, Region, Cercle, Officer string
	Status                                                           Status
	Sensitive, Overdue                                               bool
	CreatedAt, AcknowledgeBy, ResolveBy                              time.Time
}

// View returns a case of the officer's team. Every view of a sensitive
// case is written to the audit trail before the case is returned.
func (s *Service) View(ctx context.Context, who Actor, id string) (CaseView, error) {
	c, err := s.own(ctx, who, id)
	if err != nil {
		return CaseView{}, fmt.Errorf("casework: view: %w", err)
	}
	if c.Sensitive {
		if err := s.store.Record(ctx, Event{CaseID: c.ID, At: s.time(), Actor: who.ID, Action: ActionViewed}); err != nil {
			return CaseView{}, fmt.Errorf("casework: view: audit: %w", err)
		}
	}
	n, err := s.otherReports(ctx, who, c)
	if err != nil {
		return CaseView{}, fmt.Errorf("casework: view: %w", err)
	}
	v := CaseView{Case: c, OtherReports: n, HasContact: c.Contact != "", HasCallBack: c.CallBack != "" && c.Open() && s.time().Before(c.CallBackUntil)}
	v.CallerKey, v.PINHash, v.Contact, v.CallBack = "", "", "", ""
	return v, nil
}

func (s *Service) own(ctx context.Context, who Actor, id string) (Case, error) {
	c, err := s.store.ByID(ctx, id)
	if err != nil {
		return Case{}, err
	}
	if who.ID == "" || !s.holds(who, c) {
		return Case{}, ErrForbidden
	}
	return c, nil
}

// pseaKind is the team kind of PSEA focal points.
const pseaKind = "psea"

// holds reports whether who's team holds c: the case's team, and for a
// case ever coded SEA only a PSEA team, even if routing were wrong.
func (s *Service) holds(who Actor, c Case) bool {
	if c.Team != who.Team {
		return false
	}
	if c.PSEAOnly || c.Category == config.SEA || c.CallerCategory == config.SEA {
		t, _ := s.Config().Team(who.Team)
		return t.Kind == pseaKind
	}
	return true
}

func (s *Service) otherReports(ctx context.Context, who Actor, c Case) (int, error) {
	if c.CallerKey == "" {
		return 0, nil
	}
	list, err := s.store.ByCallerKey(ctx, c.CallerKey)
	if err != nil {
		return 0, err
	}
	viewer, _ := s.Config().Team(who.Team)
	n := 0
	for _, o := range list {
		if o.ID == c.ID {
			continue
		}
		if t, _ := s.Config().Team(o.Team); (t.Kind == pseaKind || o.PSEAOnly || o.Category == config.SEA || o.CallerCategory == config.SEA) && viewer.Kind != pseaKind {
			continue
		}
		n++
	}
	return n, nil
}

// Queue lists the open cases of the officer's team, most urgent first
// (overdue, then priority, then oldest). It shows no free text.
func (s *Service) Queue(ctx context.Context, who Actor) ([]Summary, error) {
	if who.ID == "" {
		return nil, fmt.Errorf("casework: queue: %w", ErrForbidden)
	}
	now := s.time()
	var out []Summary
	err := s.store.Each(ctx, func(c Case) error {
		if !s.holds(who, c) || !c.Open() {
			return nil
		}
		out = append(out, Summary{
			ID: c.ID, Reference: c.Reference, Category: c.Category, Code: c.Code, Priority: c.Priority,
			Region: c.Region, Cercle: c.Cercle, Officer: c.Officer, Status: c.Status, Sensitive: c.Sensitive,
			Overdue:   overdue(c, now) != "",
			CreatedAt: c.CreatedAt, AcknowledgeBy: c.AcknowledgeBy, ResolveBy: c.ResolveBy,
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("casework: queue: %w", err)
	}
	rank := map[string]int{"high": 0, "normal": 1, "low": 2}
	slices.SortStableFunc(out, func(a, b Summary) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(rank[a.Priority], rank[b.Priority]), a.CreatedAt.Compare(b.CreatedAt))
	})
	return out, nil
}

// Contact unseals the opt-in contact of a case for an officer of its team,
// and audits that it was read.
func (s *Service) Contact(ctx context.Context, who Actor, id string) (Contact, error) {
	c, err := s.own(ctx, who, id)
	if err != nil {
		return Contact{}, fmt.Errorf("casework: contact: %w", err)
	}
	if c.Contact == "" {
		return Contact{}, fmt.Errorf("casework: contact: %w", ErrNotFound)
	}
	if err := s.store.Record(ctx, Event{CaseID: c.ID, At: s.time(), Actor: who.ID, Action: ActionContactRead}); err != nil {
		return Contact{}, fmt.Errorf("casework: contact: audit: %w", err)
	}
	ct, err := s.seals.Load().open(c.ID, c.Contact)
	if err != nil {
		return Contact{}, fmt.Errorf("casework: contact: %w", err)
	}
	return ct, nil
}

// Recording returns the caller's voice message of a case (a WAV file) for
// an officer of its team, and audits that it was played. The web view
// serves it to the browser; nothing else may keep a copy.
func (s *Service) Recording(ctx context.Context, who Actor, id string) ([]byte, error) {
	c, err := s.own(ctx, who, id)
	if err != nil {
		return nil, fmt.Errorf("casework: recording: %w", err)
	}
	if c.Recording == "" || s.records == nil {
		return nil, fmt.Errorf("casework: recording: %w", ErrNotFound)
	}
	if err := s.store.Record(ctx, Event{CaseID: c.ID, At: s.time(), Actor: who.ID, Action: ActionListened}); err != nil {
		return nil, fmt.Errorf("casework: recording: audit: %w", err)
	}
	b, err := s.records.Get(ctx, c.Recording)
	if err != nil {
		return nil, fmt.Errorf("casework: recording: %w", err)
	}
	return b, nil
}

// Audit returns a case's trail for an officer of its team.
func (s *Service) Audit(ctx context.Context, who Actor, id string) ([]Event, error) {
	if _, err := s.own(ctx, who, id); err != nil {
		return nil, fmt.Errorf("casework: audit: %w", err)
	}
	ev, err := s.store.Audit(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("casework: audit: %w", err)
	}
	return ev, nil
}
