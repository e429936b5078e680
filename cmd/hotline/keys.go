package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/subscribers"
)

// keyPurposes are the secrets a data directory's data is made with.
var keyPurposes = []string{callerid.Purpose, casework.PINKeyPurpose, casework.SealKeyPurpose, recordings.Purpose, outbox.Purpose, gateway.CallBackPurpose, subscribers.Purpose}

// openKeys opens the keys directory and, where this process holds the
// data, binds it to the data directory (keystore.Bind): a keys directory
// that lacks a key the data was made with is refused before any data file
// is opened, and keys are created only by --init-keys on empty data.
func (m *Main) openKeys(role string) (keystore.Dir, error) {
	if _, err := os.Stat(m.KeysDir); errors.Is(err, fs.ErrNotExist) && !m.InitKeys && role != roleGateway {
		return keystore.Dir{}, fmt.Errorf("keys directory %s does not exist; for a new, empty data directory start once with --init-keys", m.KeysDir)
	}
	kd, created, err := keystore.Open(m.KeysDir)
	if err != nil {
		return kd, err
	}
	if created {
		m.log.Info("created keys directory (mode 0700)", "path", m.KeysDir)
	}
	if role == roleGateway {
		// A gateway replica holds no data: it uses the caller-key secret
		// the casework node's data is bound to (same keys directory).
		return kd, nil
	}
	made, err := keystore.Bind(m.DataDir, kd, keyPurposes, m.InitKeys)
	if err != nil {
		return kd, err
	}
	if len(made) > 0 {
		m.log.Info("created keys (mode 0600); keep them apart from backups of the data directory: losing them makes the data unreadable", "keys", made, "path", m.KeysDir)
	}
	return kd, nil
}

// keysCmd is `hotline keys list|rotate`. rotate runs inside the server
// when one serves the data (env), which takes the new version at once; on
// the files, a rotation takes effect at the next start.
func keysCmd(_ context.Context, env *opsEnv, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fl := newFlags("keys "+args[0], stderr)
	dataDir := fl.String("data", "./data", "data directory (its keys.json records the keys its data uses)")
	keysDir := fl.String("keys", "./keys", "keys directory (while serving: the server's)")
	switch args[0] {
	case "list":
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		return listKeys(*dataDir, *keysDir, stdout)
	case "rotate":
		name, err := parseKeyName(fl, args[1:])
		if err != nil {
			return err
		}
		return rotateKey(env, name, *dataDir, *keysDir, stdout)
	}
	return errUsage
}

// parseKeyName reads `keys rotate NAME [flags]`; the name may come before
// the flags (as in the usage) or after.
func parseKeyName(fl *flag.FlagSet, args []string) (string, error) {
	rest, name := args, ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if err := fl.Parse(rest); err != nil {
		return "", err
	}
	if name == "" && fl.NArg() == 1 {
		name = fl.Arg(0)
	} else if fl.NArg() != 0 {
		name = ""
	}
	if !slices.Contains(keyPurposes, name) {
		return "", fmt.Errorf("keys rotate: name one of %v: %w", keyPurposes, errUsage)
	}
	return name, nil
}

// rotateKey adds a version of name's key, after checking that the keys
// directory belongs to the data, and records it in the data directory.
// Inside the server every user of that key takes it at once.
func rotateKey(env *opsEnv, name, dataDir, keysDir string, stdout io.Writer) error {
	kd := env.serverKeys()
	if !env.inServer() {
		var err error
		if kd, _, err = keystore.Open(keysDir); err != nil {
			return err
		}
	}
	bound := !env.inServer() || env.boundToData
	// Refuse to rotate keys that do not belong to this data.
	if bound {
		if _, err := keystore.Bind(dataDir, kd, keyPurposes, false); err != nil {
			return err
		}
	}
	v, err := kd.Rotate(name)
	if err != nil {
		return err
	}
	if bound {
		if _, err := keystore.Bind(dataDir, kd, keyPurposes, false); err != nil {
			return err
		}
	}
	if !env.inServer() {
		fmt.Fprintf(stdout, "created %s-%s; new data uses it from the next start, older versions stay readable (docs/operations.md)\n", name, v)
		return nil
	}
	n, err := env.reloadKeys(name)
	if err != nil {
		return fmt.Errorf("created %s-%s, but the running server could not take it (restart it): %w", name, v, err)
	}
	if n == 0 {
		fmt.Fprintf(stdout, "created %s-%s; this server makes nothing with %s keys (its role), older versions stay readable\n", name, v, name)
		return nil
	}
	fmt.Fprintf(stdout, "created %s-%s; the running server uses it now for new data, older versions stay readable (docs/operations.md)\n", name, v)
	return nil
}

func listKeys(dataDir, keysDir string, stdout io.Writer) error {
	b, _, err := keystore.ReadBinding(dataDir)
	if err != nil {
		return err
	}
	kd, _, err := keystore.Open(keysDir)
	if err != nil {
		return err
	}
	have, err := kd.List()
	if err != nil {
		return err
	}
	held := map[string]string{}
	for _, f := range have {
		held[f.Name] = f.SHA256
	}
	used := map[string]bool{}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tFINGERPRINT\tKEYS DIR\tDATA")
	for _, f := range b.Keys {
		used[f.Name] = true
		state := "present"
		switch got, ok := held[f.Name]; {
		case !ok:
			state = "MISSING"
		case got != f.SHA256:
			state = "DIFFERENT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tuses it\n", f.Name, f.SHA256, state)
	}
	for _, f := range have {
		if !used[f.Name] {
			fmt.Fprintf(tw, "%s\t%s\tpresent\tnot recorded\n", f.Name, f.SHA256)
		}
	}
	return tw.Flush()
}
