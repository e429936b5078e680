package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/outbox"
)

// Operator commands that read or change the data (`users …`, `cases
// list`, `outbox list`) run inside the server when one is running: bbolt
// lets one process hold a file, so the command line sends the command to
// the server's admin socket (DATA/admin.sock, mode 0600) and prints what
// the server answers. With no server running they open the files.
// Nothing but those commands runs through the socket, and nothing on it
// is reachable from the network.

// opsEnv is where an operator command finds the data: the running
// server's open stores (inServer), or the files named by its flags.
type opsEnv struct {
	store *boltstore.Store              // cases, accounts and tokens; nil in the server when it holds none
	box   *outbox.Store                 // the SMS outbox; nil when the server keeps none
	cfg   atomic.Pointer[config.Config] // the server's configuration (Reload replaces it); nil outside the server
	// keysDir and keyUsers: the server's keys directory, and per key
	// purpose what takes a rotated version at once (keys rotate, SIGHUP).
	keysDir     keystore.Dir
	keyUsers    map[string][]func([]keystore.Key) error
	boundToData bool // the server holds data bound to its keys (not role gateway)
}

// serverKeys is the running server's keys directory.
func (e *opsEnv) serverKeys() keystore.Dir {
	if e == nil {
		return keystore.Dir{}
	}
	return e.keysDir
}

// useKeys registers use as a user of purpose's keys: `keys rotate`
// through the admin socket, and SIGHUP, hand it the versions held.
func (e *opsEnv) useKeys(purpose string, use func([]keystore.Key) error) {
	if e.keyUsers == nil {
		e.keyUsers = map[string][]func([]keystore.Key) error{}
	}
	e.keyUsers[purpose] = append(e.keyUsers[purpose], use)
}

// reloadKeys hands every user of purpose the versions now in the keys
// directory; it reports how many users took them.
func (e *opsEnv) reloadKeys(purpose string) (int, error) {
	users := e.keyUsers[purpose]
	if len(users) == 0 {
		return 0, nil
	}
	keys, _, err := e.keysDir.Keys(purpose)
	if err != nil {
		return 0, err
	}
	for _, use := range users {
		if err := use(keys); err != nil {
			return 0, fmt.Errorf("%s keys: %w", purpose, err)
		}
	}
	return len(users), nil
}

func (e *opsEnv) inServer() bool { return e != nil && e.cfg.Load() != nil }

// caseStore is the case store: the server's, or the file in dataDir.
func (e *opsEnv) caseStore(dataDir string) (*boltstore.Store, func(), error) {
	if e.inServer() {
		if e.store == nil {
			return nil, nil, errors.New("the running server holds no cases (role gateway)")
		}
		return e.store, func() {}, nil
	}
	s, err := boltstore.Open(filepath.Join(dataDir, dbFile))
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// outbox is the SMS outbox: the server's, or the file in dataDir sealed
// with the keys in keysDir.
func (e *opsEnv) outbox(dataDir, keysDir string) (*outbox.Store, func(), error) {
	if e.inServer() {
		if e.box == nil {
			return nil, nil, errors.New("the running server keeps no SMS outbox")
		}
		return e.box, func() {}, nil
	}
	kd, _, err := keystore.Open(keysDir)
	if err != nil {
		return nil, nil, err
	}
	sealer, _, err := outbox.LoadSealer(kd)
	if err != nil {
		return nil, nil, err
	}
	box, err := outbox.Open(filepath.Join(dataDir, outboxFile), sealer, outbox.Options{})
	if err != nil {
		return nil, nil, err
	}
	return box, func() { box.Close() }, nil
}

// config is the server's configuration, or the file at path (the embedded
// demo when empty).
func (e *opsEnv) config(path string) (*config.Config, error) {
	if e.inServer() {
		return e.cfg.Load(), nil
	}
	return loadConfig(path)
}

// runOps runs one operator command in env.
func runOps(ctx context.Context, env *opsEnv, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && args[0] == "users":
		return usersCmd(ctx, env, args[1:], stdin, stdout, stderr)
	case len(args) > 1 && args[0] == "cases" && args[1] == "list":
		return listCases(ctx, env, args[2:], stdout, stderr)
	case len(args) > 1 && args[0] == "outbox" && args[1] == "list":
		return listOutbox(ctx, env, args[2:], stdout, stderr)
	case len(args) > 1 && args[0] == "keys" && args[1] == "rotate":
		return keysCmd(ctx, env, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%s: not an operator command: %w", strings.Join(args, " "), errUsage)
}

// isOpsCommand tells the commands runOps runs.
func isOpsCommand(args []string) bool {
	switch {
	case len(args) > 1 && args[0] == "users":
		return true
	case len(args) > 1 && (args[0] == "cases" || args[0] == "outbox") && args[1] == "list":
		return true
	case len(args) > 1 && args[0] == "keys" && args[1] == "rotate":
		return true
	}
	return false
}

// readsRedis tells an operator command that reads Redis, not the data
// directory (`outbox list --redis`): it runs here, never in a server.
func readsRedis(args []string) bool {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "redis" {
			return true
		}
	}
	return false
}

// dataDirOf is the --data a command line names, "./data" by default.
func dataDirOf(args []string) string {
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "data" {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return "./data"
}

// opsRequest is one command sent to the admin socket: the arguments after
// "hotline", and the one line of stdin a password command reads.
type opsRequest struct {
	Args  []string `json:"args"`
	Stdin string   `json:"stdin,omitempty"`
}

// opsFrame is one JSON line of the answer: a piece of stdout or stderr,
// and at the end the exit status.
type opsFrame struct {
	Out  string `json:"out,omitempty"`
	Err  string `json:"err,omitempty"`
	Exit *int   `json:"exit,omitempty"`
}

// forwardOps sends an operator command to the running server's admin
// socket. forwarded is false when no server answers there: the caller
// then runs the command on the files.
func forwardOps(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int, forwarded bool) {
	req := opsRequest{Args: args}
	if len(args) > 1 && args[0] == "users" && (args[1] == "add" || args[1] == "reset" || args[1] == "phone") {
		// The password (or the officer's phone), if one is piped in: the
		// same one line the command reads when it runs on the files.
		password, err := readPassword(stdin)
		if err != nil {
			fmt.Fprintln(stderr, "hotline:", err)
			return 1, true
		}
		req.Stdin = password
	}
	body, err := json.Marshal(req)
	if err != nil {
		fmt.Fprintln(stderr, "hotline:", err)
		return 1, true
	}
	resp, err := adminSocketDo(ctx, dataDirOf(args), http.MethodPost, "/run", strings.NewReader(string(body)))
	if errors.Is(err, errNoServer) {
		return 0, false
	}
	if err != nil {
		fmt.Fprintln(stderr, "hotline:", err)
		return 1, true
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		fmt.Fprintf(stderr, "hotline: admin socket answered HTTP %d: %s\n", resp.StatusCode, strings.TrimSpace(string(msg)))
		return 1, true
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var f opsFrame
		if err := dec.Decode(&f); err != nil {
			fmt.Fprintln(stderr, "hotline: admin socket: the server's answer was cut short:", err)
			return 1, true
		}
		io.WriteString(stdout, f.Out)
		io.WriteString(stderr, f.Err)
		if f.Exit != nil {
			return *f.Exit, true
		}
	}
}

// errNoServer: no server answers on the admin socket.
var errNoServer = errors.New("no server answers on the admin socket")

// adminSocketDo makes one request to the admin socket in dataDir.
func adminSocketDo(ctx context.Context, dataDir, method, path string, body io.Reader) (*http.Response, error) {
	sock := filepath.Join(dataDir, adminSocketFile)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	req, err := http.NewRequestWithContext(ctx, method, "http://admin"+path, body)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errNoServer
		}
		return nil, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	return resp, nil
}

// serveOps is the admin socket's POST /run: it runs one operator command
// on the server's open stores and streams its output as JSON lines.
func serveOps(env *opsEnv, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req opsRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
			http.Error(w, "want a JSON {args, stdin}", http.StatusBadRequest)
			return
		}
		if !isOpsCommand(req.Args) {
			http.Error(w, "not an operator command: "+strings.Join(req.Args, " "), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		fw := &frameWriter{enc: json.NewEncoder(w), w: w}
		usages := flagUsages.Load()
		err := runOps(r.Context(), env, req.Args, strings.NewReader(req.Stdin), fw.stream(false), fw.stream(true))
		code := exitCode(err, usages, fw.stream(true))
		_ = fw.write(opsFrame{Exit: &code}) // a client gone has nothing to read it
		log.Info("operator command through the admin socket", "command", req.Args[0]+" "+req.Args[1], "exit", code)
	}
}

// frameWriter turns writes to stdout and stderr into opsFrames.
type frameWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
	w   http.ResponseWriter
	err error
}

// write sends one frame; after the client has gone, it keeps failing.
func (f *frameWriter) write(fr opsFrame) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		if f.err = f.enc.Encode(fr); f.err == nil {
			f.err = http.NewResponseController(f.w).Flush()
		}
	}
	return f.err
}

type frameStream struct {
	f      *frameWriter
	stderr bool
}

func (f *frameWriter) stream(stderr bool) io.Writer { return frameStream{f, stderr} }

func (s frameStream) Write(p []byte) (int, error) {
	fr := opsFrame{Out: string(p)}
	if s.stderr {
		fr = opsFrame{Err: string(p)}
	}
	if err := s.f.write(fr); err != nil {
		return 0, fmt.Errorf("admin socket: %w", err)
	}
	return len(p), nil
}
