package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"
	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/internal/backup"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/menus/overlay"
)

// adminSocketFile is the local admin socket in the data directory (0600):
// `hotline backup` and the operator commands (online.go) go through it
// while the server holds the bbolt locks.
const adminSocketFile = "admin.sock"

// dataFiles are the files a data directory may hold and an archive carries.
var dataFiles = []string{dbFile, recordingsFile, outboxFile, subscribersFile, overlay.File, keystore.BindingFile}

// promptFile is a prompt added at run time (`prompts add`), as archived.
var promptFile = regexp.MustCompile(`^` + promptsDir + `/[a-z]{2,3}/[a-z0-9][a-z0-9._-]{0,80}\.wav$`)

// inArchive says whether an archive may hold name: a data file or a prompt.
func inArchive(name string) bool {
	return slices.Contains(dataFiles, name) || promptFile.MatchString(name)
}

// snapshotter knows the open bbolt files of a running server.
type snapshotter struct {
	dataDir string
	sources []backup.Source
}

type snapshotSource interface{ BeginSnapshot() (*bolt.Tx, error) }

func (s *snapshotter) add(name string, src snapshotSource) {
	s.sources = append(s.sources, backup.Source{Name: name, Begin: src.BeginSnapshot})
}

// write writes one archive of every open file and the data's keys.json.
func (s *snapshotter) write(w io.Writer) error {
	return backup.Write(w, s.sources, archiveExtras(s.dataDir), time.Now())
}

// archiveExtras are the files an archive carries besides the bbolt
// copies: the key binding and the prompts added at run time.
func archiveExtras(dataDir string) map[string][]byte {
	out := map[string][]byte{}
	if b, err := os.ReadFile(filepath.Join(dataDir, keystore.BindingFile)); err == nil {
		out[keystore.BindingFile] = b
	}
	root := os.DirFS(dataDir)
	_ = fs.WalkDir(root, promptsDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && promptFile.MatchString(p) {
			if b, err := fs.ReadFile(root, p); err == nil {
				out[p] = b
			}
		}
		return nil
	})
	return out
}

// adminSocket is the local admin socket: HTTP over a unix socket that only
// the server's user can open (mode 0600 in the 0700 data directory).
type adminSocket struct {
	ln   net.Listener
	path string
	srv  *http.Server
}

func listenAdminSocket(dataDir string, snap *snapshotter, ops *opsEnv, log *slog.Logger) (*adminSocket, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	path := filepath.Join(dataDir, adminSocketFile)
	// A socket left by a server that died: nobody answers on it. (A
	// running server would hold the bbolt locks, so Open failed before.)
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("admin socket %s: another server answers on it", path)
	}
	_ = os.Remove(path)
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-tar")
		if err := snap.write(w); err != nil {
			log.Error("backup through the admin socket failed", "err", err)
			return // the archive is cut short: the client's check refuses it
		}
		log.Info("backup written through the admin socket")
	})
	mux.HandleFunc("POST /run", serveOps(ops, log))
	return &adminSocket{ln: ln, path: path, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Serve answers on the socket until ctx ends.
func (a *adminSocket) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.srv.Shutdown(shutdown)
	}()
	if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin socket: %w", err)
	}
	return nil
}

// Close removes the socket.
func (a *adminSocket) Close() error {
	a.srv.Close()
	if err := os.Remove(a.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("admin socket: %w", err)
	}
	return nil
}

// backupCmd is `hotline backup --out FILE`: through the running server's
// admin socket, or from the files when no server runs.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("backup", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	out := fl.String("out", "", "archive to write (must not exist)")
	recipient := fl.String("recipient", "", "age public key (age1...) to encrypt the archive to; keep its identity apart from the keys directory")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() > 0 {
		return fmt.Errorf("backup: --out FILE is required: %w", errUsage)
	}
	var rcpt age.Recipient
	if *recipient != "" {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(*recipient))
		if err != nil {
			return fmt.Errorf("backup: --recipient: %w", err)
		}
		rcpt = r
	}
	src, via, err := openArchiveSource(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer src.Close()

	tmp, err := os.CreateTemp(filepath.Dir(*out), ".backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriter(tmp)
	var sink io.Writer = bw
	var enc io.WriteCloser
	if rcpt != nil {
		if enc, err = age.Encrypt(bw, rcpt); err != nil {
			return fmt.Errorf("backup: encrypt: %w", err)
		}
		sink = enc
	}
	// The archive is checked against its own manifest as it is written:
	// a copy cut short is never left behind as a backup.
	m, err := backup.Read(io.TeeReader(src, sink), "", inArchive)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return fmt.Errorf("backup: encrypt: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; not overwritten", *out)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup %s: %d files, taken %s (%s)\n", *out, len(m.Files), via, m.Created.Format(time.RFC3339))
	return nil
}

// openArchiveSource streams an archive from the running server's admin
// socket, or, when no server answers there, writes one from the files.
func openArchiveSource(ctx context.Context, dataDir string) (io.ReadCloser, string, error) {
	resp, err := adminSocketDo(ctx, dataDir, http.MethodGet, "/backup", nil)
	if err == nil {
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, "", fmt.Errorf("backup: admin socket answered HTTP %d", resp.StatusCode)
		}
		return resp.Body, "through the running server", nil
	}
	if !errors.Is(err, errNoServer) {
		return nil, "", fmt.Errorf("backup: %w", err)
	}
	// No server: open each file read-only (this fails while a server
	// holds it) and write the archive through a pipe.
	var sources []backup.Source
	var dbs []*bolt.DB
	closeAll := func() {
		for _, db := range dbs {
			db.Close()
		}
	}
	for _, name := range []string{dbFile, recordingsFile, outboxFile, subscribersFile, overlay.File} {
		path := filepath.Join(dataDir, name)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			closeAll()
			return nil, "", fmt.Errorf("backup: open %s: %w", path, err)
		}
		dbs = append(dbs, db)
		sources = append(sources, backup.Source{Name: name, Begin: func() (*bolt.Tx, error) { return db.Begin(false) }})
	}
	if len(sources) == 0 {
		return nil, "", fmt.Errorf("backup: no data files in %s", dataDir)
	}
	pr, pw := io.Pipe()
	go func() {
		err := backup.Write(pw, sources, archiveExtras(dataDir), time.Now())
		closeAll()
		pw.CloseWithError(err)
	}()
	return pr, "from the files (no server running)", nil
}

// restoreCmd is `hotline restore --data DIR FILE`.
func restoreCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("restore", stderr)
	dataDir := fl.String("data", "", "data directory to restore into (must not exist, or be empty)")
	identity := fl.String("identity", "", "age identity file, for an encrypted archive")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || fl.NArg() != 1 {
		return fmt.Errorf("restore: --data DIR and one archive are required: %w", errUsage)
	}
	if entries, err := os.ReadDir(*dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty; restore into a new directory", *dataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if head, _ := br.Peek(len("age-encryption.org/")); bytes.Equal(head, []byte("age-encryption.org/")) {
		if *identity == "" {
			return fmt.Errorf("restore: the archive is encrypted: give --identity FILE")
		}
		idf, err := os.Open(*identity)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		ids, err := age.ParseIdentities(idf)
		idf.Close()
		if err != nil {
			return fmt.Errorf("restore: --identity: %w", err)
		}
		if r, err = age.Decrypt(br, ids...); err != nil {
			return fmt.Errorf("restore: decrypt: %w", err)
		}
	}
	parent := filepath.Dir(filepath.Clean(*dataDir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp)
	m, err := backup.Read(r, tmp, inArchive)
	if err != nil {
		return fmt.Errorf("restore: %w; nothing restored", err)
	}
	for _, file := range m.Files {
		if !strings.HasSuffix(file.Name, ".db") {
			continue
		}
		if err := checkBolt(filepath.Join(tmp, file.Name)); err != nil {
			return fmt.Errorf("restore: %s: %w; nothing restored", file.Name, err)
		}
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	for _, file := range m.Files {
		dst := filepath.Join(*dataDir, filepath.FromSlash(file.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if err := os.Rename(filepath.Join(tmp, filepath.FromSlash(file.Name)), dst); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	fmt.Fprintf(stdout, "restored %d files of the backup taken %s into %s; start the server with the keys directory this data belongs to\n",
		len(m.Files), m.Created.Format(time.RFC3339), *dataDir)
	return nil
}

// checkBolt opens a restored file read-only and checks its pages.
func checkBolt(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
}
