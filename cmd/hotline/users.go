package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/config"
)

// usersCmd manages the MEAL web view's staff accounts and API tokens, in
// the bbolt file (stop the server first: bbolt locks its file).
func usersCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "add":
		return usersAdd(ctx, args[1:], stdin, stdout, stderr)
	case "list":
		return usersList(ctx, args[1:], stdout, stderr)
	case "token":
		return usersToken(ctx, args[1:], stdout, stderr)
	}
	return errUsage
}

func openStore(dataDir string) (*boltstore.Store, error) {
	return boltstore.Open(filepath.Join(dataDir, dbFile))
}

func usersAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl := newFlags("users add", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	cfgPath := fl.String("config", "", "deployment config (YAML); the embedded demo when empty")
	name := fl.String("name", "", "login name (a-z, 0-9, . _ -)")
	fullName := fl.String("full-name", "", "name shown to colleagues (optional)")
	role := fl.String("role", "", "officer, supervisor, psea, viewer or admin")
	team := fl.String("team", "", "team id from the config (officer, supervisor, psea)")
	replace := fl.Bool("replace", false, "replace an existing user (e.g. to reset a password)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	u := casework.User{Name: strings.ToLower(*name), FullName: *fullName, Role: casework.Role(*role), Team: *team, CreatedAt: time.Now().UTC()}
	if err := casework.CheckUser(cfg, u); err != nil {
		return err
	}
	password, generated, err := readPassword(stdin)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = casework.HashPassword(password); err != nil {
		return err
	}
	store, err := openStore(*dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	action := "user_created"
	if _, err := store.User(ctx, u.Name); err == nil && !*replace {
		return fmt.Errorf("user %s exists (use --replace to reset it)", u.Name)
	} else if err == nil {
		action = "password_reset"
	} else if !errors.Is(err, casework.ErrNoUser) {
		return err
	}
	if err := store.PutUser(ctx, u); err != nil {
		return err
	}
	if err := store.AddAdminEvent(ctx, casework.AdminEvent{At: u.CreatedAt, Actor: "cli", Action: action, Target: u.Name}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (%s%s) saved\n", u.Name, u.Role, map[bool]string{true: ", team " + u.Team}[u.Team != ""])
	if generated {
		fmt.Fprintf(stdout, "password (shown once): %s\n", password)
	}
	return nil
}

// readPassword takes one line from stdin when it is not a terminal, else
// generates a password.
func readPassword(stdin io.Reader) (password string, generated bool, err error) {
	if f, ok := stdin.(*os.File); !ok || !isTerminal(f) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read password: %w", err)
		}
		if p := strings.TrimRight(line, "\r\n"); p != "" {
			return p, false, nil
		}
	}
	return casework.NewSecret(15), true, nil
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func usersList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("users list", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	if err := fl.Parse(args); err != nil {
		return err
	}
	store, err := openStore(*dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := store.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tTEAM\tFULL NAME\tCREATED")
	for _, u := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Team, u.FullName, u.CreatedAt.Format(time.DateOnly))
	}
	return tw.Flush()
}

func usersToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("users token", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	name := fl.String("name", "", "who the token is for (e.g. cluster-dashboard)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return fmt.Errorf("--name is required")
	}
	store, err := openStore(*dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	token := "nv_" + casework.NewSecret(32)
	if err := store.PutToken(ctx, casework.APIToken{Name: *name, Hash: casework.HashToken(token), CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	if err := store.AddAdminEvent(ctx, casework.AdminEvent{At: time.Now().UTC(), Actor: "cli", Action: "token_created", Target: *name}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "API token for %s (shown once; send it as \"Authorization: Bearer …\"):\n%s\n", *name, token)
	return nil
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Demo()
	}
	return config.Load(path)
}
