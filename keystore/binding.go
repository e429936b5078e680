package keystore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/renameio/v2"
)

// BindingFile is the file in the data directory that names the keys its
// data was made with, by fingerprint. It never holds a key.
const BindingFile = "keys.json"

// ErrMismatch is returned (wrapped) by Bind when the keys directory does
// not hold the keys the data directory was made with.
var ErrMismatch = errors.New("keys directory does not match the data directory")

// Binding is the content of BindingFile: every key version the data may
// use, by name ("callerid-k1") and fingerprint.
type Binding struct {
	Keys []Fingerprint `json:"keys"`
}

// Fingerprint names one key version and a SHA-256 of it (domain-separated
// and truncated: it identifies the key, it cannot stand in for it).
type Fingerprint struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

func fingerprint(name string, secret []byte) string {
	h := sha256.New()
	h.Write([]byte("numerovert keystore fingerprint v1\n" + name + "\n"))
	h.Write(secret)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// List returns the fingerprint of every key in the directory, by name.
func (d Dir) List() ([]Fingerprint, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("keystore: read directory: %w", err)
	}
	var out []Fingerprint
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".key")
		if !ok || !namePattern.MatchString(name) {
			continue
		}
		p, v, _ := strings.Cut(name, "-")
		secret, err := d.Read(p, v)
		if err != nil {
			return nil, err
		}
		out = append(out, Fingerprint{Name: name, SHA256: fingerprint(name, secret)})
	}
	slices.SortFunc(out, func(a, b Fingerprint) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ReadBinding reads the data directory's BindingFile; ok is false when
// there is none.
func ReadBinding(dataDir string) (b Binding, ok bool, err error) {
	raw, err := os.ReadFile(filepath.Join(dataDir, BindingFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Binding{}, false, nil
	}
	if err != nil {
		return Binding{}, false, fmt.Errorf("keystore: %w", err)
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return Binding{}, false, fmt.Errorf("keystore: %s: %w", BindingFile, err)
	}
	return b, true, nil
}

// WriteBinding replaces the data directory's BindingFile atomically
// (mode 0600), creating the directory (0700) when needed.
func WriteBinding(dataDir string, b Binding) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("keystore: create data directory: %w", err)
	}
	slices.SortFunc(b.Keys, func(x, y Fingerprint) int { return strings.Compare(x.Name, y.Name) })
	raw, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if err := renameio.WriteFile(filepath.Join(dataDir, BindingFile), append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("keystore: write %s: %w", BindingFile, err)
	}
	return nil
}

// isEmpty reports whether dir is missing or holds nothing.
func isEmpty(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("keystore: read data directory: %w", err)
	}
	return len(entries) == 0, nil
}

// Bind checks that the keys directory holds every key the data directory
// was made with, and records in the data directory any key it holds that
// is not recorded yet. It returns the names of the keys it created.
//
// Keys are created only for purposes with no key at all, and only when
// init is set and the data directory is empty (a new deployment), or when
// the data directory's binding does not know the purpose yet (a purpose
// added by an upgrade: no data uses it). On a mismatch nothing is written
// anywhere and the error names every missing key.
func Bind(dataDir string, d Dir, purposes []string, init bool) (created []string, err error) {
	b, recorded, err := ReadBinding(dataDir)
	if err != nil {
		return nil, err
	}
	have, err := d.List()
	if err != nil {
		return nil, err
	}
	held := map[string]string{}
	for _, f := range have {
		held[f.Name] = f.SHA256
	}
	var missing []string
	known := map[string]bool{} // purposes the binding records
	for _, f := range b.Keys {
		p, _, _ := strings.Cut(f.Name, "-")
		known[p] = true
		switch got, ok := held[f.Name]; {
		case !ok:
			missing = append(missing, f.Name+" (absent)")
		case got != f.SHA256:
			missing = append(missing, f.Name+" (a different key)")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: the data in %s was made with keys that %s lacks: %s; start with the keys directory that belongs to this data (see docs/operations.md)",
			ErrMismatch, dataDir, d.path, strings.Join(missing, ", "))
	}
	empty, err := isEmpty(dataDir)
	if err != nil {
		return nil, err
	}
	var toCreate, lacking []string
	for _, p := range purposes {
		versions, err := d.Versions(p)
		if err != nil {
			return nil, err
		}
		switch {
		case len(versions) > 0:
		case recorded && !known[p], empty && init:
			toCreate = append(toCreate, p)
		default:
			lacking = append(lacking, p)
		}
	}
	if len(lacking) > 0 {
		hint := "give the keys directory that belongs to this data"
		if empty {
			hint = "this is a new, empty data directory: start once with --init-keys to create new keys"
		}
		return nil, fmt.Errorf("%w: %s has no %s key for the data in %s; %s",
			ErrMismatch, d.path, strings.Join(lacking, ", "), dataDir, hint)
	}
	for _, p := range toCreate {
		if err := d.create(p, "k1"); err != nil {
			return created, err
		}
		created = append(created, p+"-k1")
	}
	have, err = d.List()
	if err != nil {
		return created, err
	}
	if recorded && slices.Equal(have, b.Keys) {
		return created, nil
	}
	return created, WriteBinding(dataDir, Binding{Keys: have})
}
