package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
)

// usersCmd manages the MEAL web view's staff accounts and API tokens
// through casework.Accounts, which checks and audits every change the
// same way as the web view's admin page does.
func usersCmd(ctx context.Context, env *opsEnv, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "add":
		return usersAdd(ctx, env, rest, stdin, stdout, stderr)
	case "list":
		return usersList(ctx, env, rest, stdout, stderr)
	case "tokens":
		return tokensList(ctx, env, rest, stdout, stderr)
	case "reset", "disable", "enable", "token", "revoke":
		return usersChange(ctx, env, name, rest, stdin, stdout, stderr)
	case "phone":
		return usersPhone(ctx, env, rest, stdin, stdout, stderr)
	}
	return fmt.Errorf("users %s: unknown subcommand: %w", name, errUsage)
}

// cliActor is the actor the accounts' audit trail records for the command
// line: not a valid login name, so never mistaken for one.
const cliActor = "(cli)"

// accountsOn opens the accounts in env: the server's store and config, or
// the files'.
func accountsOn(env *opsEnv, dataDir, cfgPath string) (casework.Accounts, func(), error) {
	cfg, err := env.config(cfgPath)
	if err != nil {
		return casework.Accounts{}, nil, err
	}
	store, done, err := env.caseStore(dataDir)
	if err != nil {
		return casework.Accounts{}, nil, err
	}
	return casework.Accounts{Store: store, Config: cfg}, done, nil
}

func usersAdd(ctx context.Context, env *opsEnv, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl := newFlags("users add", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	cfgPath := fl.String("config", "", "deployment config (YAML); the embedded demo when empty (the server's own while one serves)")
	name := fl.String("name", "", "login name (a-z, 0-9, . _ -)")
	fullName := fl.String("full-name", "", "name shown to colleagues (optional)")
	role := fl.String("role", "", "officer, supervisor, psea, viewer, admin, programme (information pages) or translator (language studio)")
	team := fl.String("team", "", "team id from the config (officer, supervisor, psea)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("users add: unexpected argument %q: %w", fl.Arg(0), errUsage)
	}
	acc, done, err := accountsOn(env, *dataDir, *cfgPath)
	if err != nil {
		return err
	}
	defer done()
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	u := casework.User{Name: *name, FullName: *fullName, Role: casework.Role(*role), Team: *team}
	set, err := acc.Create(ctx, cliActor, u, password)
	if errors.Is(err, casework.ErrUserExists) {
		return fmt.Errorf("user %s exists (hotline users reset --name %s sets a new password)", strings.ToLower(*name), strings.ToLower(*name))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (%s%s) saved\n", strings.ToLower(*name), u.Role, map[bool]string{true: ", team " + u.Team}[u.Team != ""])
	if password == "" {
		fmt.Fprintf(stdout, "password (shown once): %s\n", set)
	}
	return nil
}

// usersChange is `users reset|disable|enable|token|revoke --name NAME`.
func usersChange(ctx context.Context, env *opsEnv, sub string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl := newFlags("users "+sub, stderr)
	dataDir := fl.String("data", "./data", "data directory")
	help := "login name"
	if sub == "token" || sub == "revoke" {
		help = "the token's name (e.g. cluster-dashboard)"
	}
	name := fl.String("name", "", help)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" || fl.NArg() > 0 {
		return fmt.Errorf("users %s: --name NAME is required: %w", sub, errUsage)
	}
	acc, done, err := accountsOn(env, *dataDir, "")
	if err != nil {
		return err
	}
	defer done()
	if err := changeAccount(ctx, acc, sub, *name, stdin, stdout); err != nil {
		return fmt.Errorf("users %s %s: %w", sub, *name, err)
	}
	return nil
}

// changeAccount makes one change of `users reset|disable|enable|token|revoke`.
func changeAccount(ctx context.Context, acc casework.Accounts, sub, name string, stdin io.Reader, stdout io.Writer) error {
	switch sub {
	case "reset":
		password, err := readPassword(stdin)
		if err != nil {
			return err
		}
		set, err := acc.ResetPassword(ctx, cliActor, name, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s reset\n", name)
		if password == "" {
			fmt.Fprintf(stdout, "password (shown once): %s\n", set)
		}
	case "disable", "enable":
		if err := acc.SetDisabled(ctx, cliActor, name, sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s %sd (takes effect on their next request)\n", name, sub)
	case "token":
		token, err := acc.CreateToken(ctx, cliActor, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API token for %s (shown once; send it as \"Authorization: Bearer …\"):\n%s\n", name, token)
	case "revoke":
		n, err := acc.RevokeTokensNamed(ctx, cliActor, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d token(s) named %s revoked\n", n, name)
	}
	return nil
}

// readPassword takes one line from stdin when it is not a terminal; ""
// (a terminal, or nothing piped in) asks for a generated password.
func readPassword(stdin io.Reader) (string, error) {
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		return "", nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func usersList(ctx context.Context, env *opsEnv, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("users list", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	if err := fl.Parse(args); err != nil {
		return err
	}
	store, done, err := env.caseStore(*dataDir)
	if err != nil {
		return err
	}
	defer done()
	list, err := store.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tTEAM\tSTATE\tFULL NAME\tCREATED")
	for _, u := range list {
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Team, state, u.FullName, u.CreatedAt.Format(time.DateOnly))
	}
	return tw.Flush()
}

// tokensList prints the API tokens' names and dates (never a hash: the
// name is what `users revoke` takes).
func tokensList(ctx context.Context, env *opsEnv, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("users tokens", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	if err := fl.Parse(args); err != nil {
		return err
	}
	store, done, err := env.caseStore(*dataDir)
	if err != nil {
		return err
	}
	defer done()
	list, err := store.Tokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCREATED")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.CreatedAt.Format(time.DateTime))
	}
	return tw.Flush()
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Demo()
	}
	return config.Load(path)
}
