// Command hotline is the Numéro Vert binary: the gateway server, the
// aggregator simulator, the menu linter and operator tools.
//
// It must never print a phone number; operator tools print caller keys
// (keyed hashes) at most.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
)

const usage = `hotline: anonymous complaints hotline

usage:
  hotline serve [--addr 127.0.0.1:8080] [--admin-addr ADDR] [--data ./data] [--keys ./keys] [--init-keys]
                [--config FILE] [--locales DIR] [--trusted-proxy CIDR]
                [--rate-channel 2000] [--burst-channel 4000] [--rate-caller 0.5] [--burst-caller 30]
                [--role all|gateway|casework] [--redis redis://HOST:6379/0] [--redis-prefix nv:] [--consumer NAME]
  hotline simulate ussd --url URL --phone +22376000001 [--inputs 1,3,...] [--interactive]
  hotline simulate sms --provider africastalking|twilio [--url URL] --phone +22376000001 --text TEXT
  hotline simulate provider [--addr 127.0.0.1:8090] [--fail] [--delay 2s]
  hotline simulate voice --provider africastalking|twilio [--url URL] --phone +22376000001 [--keys 2,1,rec,...] [--interactive]
  hotline menus lint [--coverage] [--strict] [DIR]
  hotline locales export [--locales DIR] --lang bm --format po   (to standard output)
  hotline locales import [--locales DIR] FILE.po                 (linted before it is written)
  hotline prompts script [--lang L] [--markdown] [DIR]
  hotline prompts generate [--locales locales] [--langs fr,en] [--force]
  hotline prompts add [--data data] [--locales DIR] --lang L --key KEY FILE   (WAV, MP3; AMR/M4A/Ogg with ffmpeg)
  hotline prompts numbers [--lang L] [DIR]          (the numbers staff type to record a prompt by phone)
  hotline prompts staff-key [--keys keys] [--number N] (for voice.staff; the number is read from stdin when not given)
  hotline cases list [--data ./data]
  hotline outbox list [--data ./data] [--keys ./keys]   (or, for gateway replicas: --redis URL [--redis-prefix nv:])
  hotline users add --name NAME --role officer|supervisor|psea|viewer|admin [--team TEAM] [--full-name N] [--data ./data] [--config FILE]
  hotline users reset --name NAME [--data ./data]   (password: one line on stdin, or generated and printed once)
  hotline users disable|enable --name NAME [--data ./data]
  hotline users list [--data ./data]
  hotline users token --name NAME [--data ./data]   (read-only API token, printed once)
  hotline users tokens [--data ./data]
  hotline users revoke --name NAME [--data ./data]  (every token of that name)
  hotline users phone --name NAME [--data ./data] [--keys ./keys]  (the officer's own phone for
    call-backs: one line on stdin, sealed, never printed; an empty line removes it)
    (users, cases and outbox run inside the server, through DATA/admin.sock, while one serves
     that data; there the server's --config and --keys apply)
  hotline keys list [--data ./data] [--keys ./keys]
  hotline keys rotate callerid|pin|seal|recording|outbox|callback [--data ./data] [--keys ./keys]
    (keys rotate runs inside the server while one serves that data: it uses the new version at
     once; stopped, at the next start. kill -HUP makes a server reread its keys directory)
  hotline backup --out FILE [--data ./data] [--recipient age1...]   (while serving: through DATA/admin.sock)
  hotline restore --data DIR [--identity FILE] FILE                 (DIR must be new or empty)
  hotline config check FILE
  hotline --help
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

// exitError carries a chosen exit status without an extra message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if isOpsCommand(args) && !readsRedis(args) {
		// While a server holds the data, it runs the command.
		if code, forwarded := forwardOps(ctx, args, stdin, stdout, stderr); forwarded {
			return code
		}
	}
	usages := flagUsages.Load()
	return exitCode(dispatch(ctx, args, stdin, stdout, stderr), usages, stderr)
}

// exitCode prints err as the command line shows it and returns the exit
// status: 0, 2 for a command line not understood, 1 for a failure.
// usages is flagUsages before the command ran.
func exitCode(err error, usages int64, stderr io.Writer) int {
	var code exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.Is(err, flag.ErrHelp):
		return 0 // the flag package printed the command's flags
	case flagUsages.Load() != usages:
		return 2 // a flag error: the flag package printed it and the flags
	case errors.Is(err, errUsage):
		if msg := strings.TrimSuffix(err.Error(), ": "+errUsage.Error()); msg != errUsage.Error() {
			fmt.Fprintln(stderr, "hotline:", msg)
		}
		fmt.Fprint(stderr, usage)
		return 2
	default:
		fmt.Fprintln(stderr, "hotline:", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	sub := func(want string) ([]string, bool) {
		if len(args) >= 2 && args[1] == want {
			return args[2:], true
		}
		return nil, false
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "simulate":
		if rest, ok := sub("ussd"); ok {
			return simulateUSSD(ctx, rest, stdin, stdout, stderr)
		}
		if rest, ok := sub("sms"); ok {
			return simulateSMS(ctx, rest, stdout, stderr)
		}
		if rest, ok := sub("provider"); ok {
			return simulateProvider(ctx, rest, stdout, stderr)
		}
		if rest, ok := sub("voice"); ok {
			return simulateVoice(ctx, rest, stdin, stdout, stderr)
		}
	case "menus":
		if rest, ok := sub("lint"); ok {
			return lintMenus(rest, stdout, stderr)
		}
	case "users", "cases", "outbox":
		if isOpsCommand(args) {
			return runOps(ctx, nil, args, stdin, stdout, stderr)
		}
	case "prompts":
		return prompts(ctx, args[1:], stdout, stderr)
	case "locales":
		return localesCmd(args[1:], stdout, stderr)
	case "keys":
		return keysCmd(ctx, nil, args[1:], stdout, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args[1:], stdout, stderr)
	case "config":
		if rest, ok := sub("check"); ok {
			return checkConfig(rest, stdout, stderr)
		}
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q: %w", args[0], errUsage)
	}
	return fmt.Errorf("%s: unknown or missing subcommand: %w", args[0], errUsage)
}

// flagUsages counts the flag package's calls to a FlagSet's Usage, which
// it makes exactly when Parse fails (or on -h): run tells a flag error
// (exit 2) from a failure of the command (exit 1) by it.
var flagUsages atomic.Int64

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		flagUsages.Add(1)
		fmt.Fprintf(stderr, "usage of hotline %s:\n", name)
		fs.PrintDefaults()
	}
	return fs
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
