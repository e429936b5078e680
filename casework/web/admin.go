package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
)

func admin(r casework.Role) bool { return r == casework.RoleAdmin }

// adminData is the admin page: accounts, API tokens, the audit trail and,
// once, a password just set.
type adminData struct {
	Users    []casework.User
	Tokens   []casework.APIToken
	Events   []casework.AdminEvent
	Roles    []casework.Role
	Teams    []string
	Password string // shown once, never stored or logged
	For      string // whose password
}

// adminPage lists accounts and tokens (admin role only).
func (w *Web) adminPage(c fiber.Ctx) error { return w.renderAdmin(c, "", "") }

func (w *Web) renderAdmin(c fiber.Ctx, user, password string) error {
	rctx, cancel := ctx(c)
	defer cancel()
	d := adminData{Roles: casework.Roles, Password: password, For: user}
	var err error
	if d.Users, err = w.users.Users(rctx); err != nil {
		return err
	}
	if d.Tokens, err = w.users.Tokens(rctx); err != nil {
		return err
	}
	if d.Events, err = w.users.AdminEvents(rctx); err != nil {
		return err
	}
	if len(d.Events) > 50 { // newest 50, newest first
		d.Events = d.Events[len(d.Events)-50:]
	}
	for i, j := 0, len(d.Events)-1; i < j; i, j = i+1, j-1 {
		d.Events[i], d.Events[j] = d.Events[j], d.Events[i]
	}
	for _, t := range w.cfg.Teams {
		d.Teams = append(d.Teams, t.ID)
	}
	p := w.newPage(c, "admin")
	p.Data = d
	if password != "" {
		p.Flash = p.L["ok_password"]
	}
	return w.render(c, "admin", p)
}

// audit records an admin action on an account or token.
func (w *Web) audit(c fiber.Ctx, action, target string) error {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	err := w.users.AddAdminEvent(rctx, casework.AdminEvent{At: w.time(), Actor: u.Name, Action: action, Target: target})
	if err != nil {
		return err
	}
	w.log.Info("web: admin action", "admin", u.Name, "action", action, "target", target)
	return nil
}

func (w *Web) adminBack(c fiber.Ctx, key string) error {
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/admin?" + key)
}

// adminCreate makes an account with a generated password, shown once.
func (w *Web) adminCreate(c fiber.Ctx) error {
	u := casework.User{
		Name: strings.ToLower(strings.TrimSpace(c.FormValue("name"))), FullName: strings.TrimSpace(c.FormValue("full_name")),
		Role: casework.Role(c.FormValue("role")), Team: c.FormValue("team"), CreatedAt: w.time(),
	}
	if !u.Role.Casework() {
		u.Team = ""
	}
	if err := casework.CheckUser(w.cfg, u); err != nil {
		return w.adminBack(c, "err=user")
	}
	rctx, cancel := ctx(c)
	defer cancel()
	if _, err := w.users.User(rctx, u.Name); err == nil {
		return w.adminBack(c, "err=exists")
	} else if !errors.Is(err, casework.ErrNoUser) {
		return err
	}
	password := casework.NewSecret(15)
	var err error
	if u.PasswordHash, err = casework.HashPassword(password); err != nil {
		return err
	}
	if err := w.users.PutUser(rctx, u); err != nil {
		return err
	}
	if err := w.audit(c, "user_created", u.Name); err != nil {
		return err
	}
	return w.renderAdmin(c, u.Name, password)
}

// adminUser disables, enables or resets the password of an account.
func (w *Web) adminUser(c fiber.Ctx) error {
	me, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	u, err := w.users.User(rctx, c.Params("name"))
	if errors.Is(err, casework.ErrNoUser) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	var action, password string
	switch c.Params("action") {
	case "disable":
		if u.Name == me.Name {
			return w.adminBack(c, "err=self")
		}
		u.Disabled, action = true, "user_disabled"
	case "enable":
		u.Disabled, action = false, "user_enabled"
	case "reset":
		password = casework.NewSecret(15)
		if u.PasswordHash, err = casework.HashPassword(password); err != nil {
			return err
		}
		action = "password_reset"
	default:
		return errNotFound
	}
	if err := w.users.PutUser(rctx, u); err != nil {
		return err
	}
	if err := w.audit(c, action, u.Name); err != nil {
		return err
	}
	if password != "" {
		return w.renderAdmin(c, u.Name, password)
	}
	return w.adminBack(c, "ok="+action)
}

// adminRevoke revokes an API token by its hash.
func (w *Web) adminRevoke(c fiber.Ctx) error {
	rctx, cancel := ctx(c)
	defer cancel()
	t, err := w.users.Token(rctx, c.FormValue("hash"))
	if errors.Is(err, casework.ErrNoUser) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if err := w.users.DeleteToken(rctx, t.Hash); err != nil {
		return err
	}
	if err := w.audit(c, "token_revoked", t.Name); err != nil {
		return err
	}
	return w.adminBack(c, "ok=token_revoked")
}
