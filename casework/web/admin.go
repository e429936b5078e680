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
	for _, t := range w.cases.Config().Teams {
		d.Teams = append(d.Teams, t.ID)
	}
	p := w.newPage(c, "admin")
	p.Data = d
	if password != "" {
		p.Flash = p.L["ok_password"]
	}
	return w.render(c, "admin", p)
}

// accounts is where every change to an account or token goes: checked
// and audited there.
func (w *Web) accounts() casework.Accounts {
	return casework.Accounts{Store: w.users, Config: w.cases.Config(), Now: w.time}
}

// logged records in the server's log what an admin changed.
func (w *Web) logged(c fiber.Ctx, action, target string) {
	u, _ := current(c)
	w.log.Info("web: admin action", "admin", u.Name, "action", action, "target", target)
}

func (w *Web) adminBack(c fiber.Ctx, key string) error {
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/admin?" + key)
}

// adminCreate makes an account with a generated password, shown once.
func (w *Web) adminCreate(c fiber.Ctx) error {
	me, _ := current(c)
	u := casework.User{
		Name: c.FormValue("name"), FullName: strings.TrimSpace(c.FormValue("full_name")),
		Role: casework.Role(c.FormValue("role")), Team: c.FormValue("team"),
	}
	if !u.Role.Casework() {
		u.Team = ""
	}
	rctx, cancel := ctx(c)
	defer cancel()
	password, err := w.accounts().Create(rctx, me.Name, u, "")
	switch {
	case errors.Is(err, casework.ErrUserExists):
		return w.adminBack(c, "err=exists")
	case errors.Is(err, casework.ErrInvalidAccount):
		return w.adminBack(c, "err=user")
	case err != nil:
		return err
	}
	name := strings.ToLower(strings.TrimSpace(u.Name))
	w.logged(c, "user_created", name)
	return w.renderAdmin(c, name, password)
}

// adminUser disables, enables or resets the password of an account.
func (w *Web) adminUser(c fiber.Ctx) error {
	me, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	name, acc := c.Params("name"), w.accounts()
	var action, password string
	var err error
	switch c.Params("action") {
	case "disable":
		action, err = "user_disabled", acc.SetDisabled(rctx, me.Name, name, true)
	case "enable":
		action, err = "user_enabled", acc.SetDisabled(rctx, me.Name, name, false)
	case "reset":
		action = "password_reset"
		password, err = acc.ResetPassword(rctx, me.Name, name, "")
	default:
		return errNotFound
	}
	switch {
	case errors.Is(err, casework.ErrSelf):
		return w.adminBack(c, "err=self")
	case errors.Is(err, casework.ErrNoUser):
		return errNotFound
	case err != nil:
		return err
	}
	w.logged(c, action, name)
	if password != "" {
		return w.renderAdmin(c, name, password)
	}
	return w.adminBack(c, "ok="+action)
}

// adminRevoke revokes an API token by its hash.
func (w *Web) adminRevoke(c fiber.Ctx) error {
	me, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	name, err := w.accounts().RevokeToken(rctx, me.Name, c.FormValue("hash"))
	if errors.Is(err, casework.ErrNoUser) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	w.logged(c, "token_revoked", name)
	return w.adminBack(c, "ok=token_revoked")
}
