// Package backup writes and reads the hotline's backup archive: a tar
// stream of every bbolt file of a data directory (each a transactional
// copy, taken while the server writes), the data's keys.json, and a
// MANIFEST.json last with the size and SHA-256 of each file. Reading
// checks every file against the manifest and refuses anything else.
//
// It must never put a key in an archive: the keys directory is backed up
// apart (docs/operations.md).
package backup

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Format names this archive layout in the manifest.
const Format = "numerovert-backup/1"

// ManifestName is the last entry of every archive.
const ManifestName = "MANIFEST.json"

// ErrDamaged is returned (wrapped) for an archive that does not match its
// manifest, is cut short or holds an unexpected entry.
var ErrDamaged = errors.New("backup archive damaged or incomplete")

// Manifest lists what an archive holds.
type Manifest struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	Files   []File    `json:"files"`
}

// File is one archived file.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Source is one open bbolt file to copy.
type Source struct {
	Name  string // file name in the data directory ("hotline.db")
	Begin func() (*bolt.Tx, error)
}

// Write copies every source and each extra file (name → contents) into w
// as one archive. Every source's read transaction is begun before any is
// copied, so the files are cut at (nearly) one instant.
func Write(w io.Writer, sources []Source, extra map[string][]byte, now time.Time) error {
	txs := make([]*bolt.Tx, len(sources))
	defer func() {
		for _, tx := range txs {
			if tx != nil {
				_ = tx.Rollback()
			}
		}
	}()
	for i, s := range sources {
		tx, err := s.Begin()
		if err != nil {
			return fmt.Errorf("backup: %s: %w", s.Name, err)
		}
		txs[i] = tx
	}
	tw := tar.NewWriter(w)
	m := Manifest{Format: Format, Created: now.UTC()}
	add := func(name string, size int64, copyTo func(io.Writer) error) error {
		hdr := &tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: now, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("backup: %s: %w", name, err)
		}
		h := sha256.New()
		if err := copyTo(io.MultiWriter(tw, h)); err != nil {
			return fmt.Errorf("backup: %s: %w", name, err)
		}
		m.Files = append(m.Files, File{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	}
	for i, s := range sources {
		tx := txs[i]
		if err := add(s.Name, tx.Size(), func(w io.Writer) error { _, err := tx.WriteTo(w); return err }); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range extra {
			if !yield(k) {
				return
			}
		}
	}) {
		b := extra[name]
		if err := add(name, int64(len(b)), func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return err
		}
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(raw)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if _, err := tw.Write(raw); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Read checks the archive r against its manifest. With dir set it writes
// each file into dir (mode 0600; a name with a slash in a subdirectory,
// 0700) as it goes; the caller removes dir when Read fails. allowed says
// which names an archive may hold: it must refuse any name that could
// leave dir ("..", an absolute path).
func Read(r io.Reader, dir string, allowed func(name string) bool) (Manifest, error) {
	tr := tar.NewReader(r)
	got := map[string]File{}
	var m Manifest
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if m.Format != "" {
			return m, fmt.Errorf("%w: entry %q after the manifest", ErrDamaged, hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return m, fmt.Errorf("%w: entry %q is not a file", ErrDamaged, hdr.Name)
		}
		if hdr.Name == ManifestName {
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
				return m, fmt.Errorf("%w: manifest: %v", ErrDamaged, err)
			}
			if m.Format != Format {
				return m, fmt.Errorf("%w: manifest format %q, want %q", ErrDamaged, m.Format, Format)
			}
			continue
		}
		if !allowed(hdr.Name) || !filepath.IsLocal(hdr.Name) || got[hdr.Name].Name != "" {
			return m, fmt.Errorf("%w: unexpected entry %q", ErrDamaged, hdr.Name)
		}
		f, err := copyEntry(tr, dir, hdr.Name)
		if err != nil {
			return m, err
		}
		got[hdr.Name] = f
	}
	if m.Format == "" {
		return m, fmt.Errorf("%w: no manifest (archive cut short?)", ErrDamaged)
	}
	if len(m.Files) != len(got) {
		return m, fmt.Errorf("%w: manifest lists %d files, archive holds %d", ErrDamaged, len(m.Files), len(got))
	}
	for _, want := range m.Files {
		if got[want.Name] != want {
			return m, fmt.Errorf("%w: %s does not match its checksum", ErrDamaged, want.Name)
		}
	}
	return m, nil
}

// copyEntry checksums one entry and, with dir set, writes it there (in its
// subdirectory for a name with a slash).
func copyEntry(r io.Reader, dir, name string) (File, error) {
	h := sha256.New()
	w := io.Writer(h)
	var f *os.File
	if dir != "" {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return File{}, fmt.Errorf("restore %s: %w", name, err)
		}
		var err error
		if f, err = os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return File{}, fmt.Errorf("restore %s: %w", name, err)
		}
		w = io.MultiWriter(h, f)
	}
	n, err := io.Copy(w, r)
	if f != nil {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return File{}, fmt.Errorf("%w: %s: %v", ErrDamaged, name, err)
	}
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
