package backup_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/internal/backup"
)

func archive(t *testing.T) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("cases"))
		if err != nil {
			return err
		}
		return b.Put([]byte("12345678"), []byte("case"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	src := []backup.Source{{Name: "a.db", Begin: func() (*bolt.Tx, error) { return db.Begin(false) }}}
	if err := backup.Write(&buf, src, map[string][]byte{"keys.json": []byte(`{"keys":[]}`)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func allowed(name string) bool { return slices.Contains([]string{"a.db", "keys.json"}, name) }

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m, err := backup.Read(bytes.NewReader(archive(t)), dir, allowed)
	if err != nil || len(m.Files) != 2 {
		t.Fatalf("read: %+v %v", m, err)
	}
	db, err := bolt.Open(filepath.Join(dir, "a.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("cases")).Get([]byte("12345678")); string(v) != "case" {
			t.Errorf("restored value %q", v)
		}
		return nil
	})
}

// rewrite copies an archive entry by entry through edit, which may change
// an entry's body or drop it (nil).
func rewrite(t *testing.T, raw []byte, edit func(name string, body []byte) []byte, extra ...string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(raw))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	put := func(name string, body []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write(body)
	}
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		var body bytes.Buffer
		body.ReadFrom(tr)
		if b := edit(hdr.Name, body.Bytes()); b != nil {
			put(hdr.Name, b)
		}
	}
	for _, name := range extra {
		put(name, []byte("x"))
	}
	tw.Close()
	return out.Bytes()
}

func TestDamagedArchivesRefused(t *testing.T) {
	raw := archive(t)
	for name, bad := range map[string][]byte{
		"cut short": raw[:len(raw)/2],
		"changed byte": rewrite(t, raw, func(n string, b []byte) []byte {
			if n == "a.db" {
				b[100] ^= 1
			}
			return b
		}),
		"file dropped":        rewrite(t, raw, func(n string, b []byte) []byte { return map[bool][]byte{true: nil, false: b}[n == "keys.json"] }),
		"no manifest":         rewrite(t, raw, func(n string, b []byte) []byte { return map[bool][]byte{true: nil, false: b}[n == backup.ManifestName] }),
		"entry after it":      rewrite(t, raw, func(_ string, b []byte) []byte { return b }, "keys.json"),
		"path outside":        rewrite(t, raw, func(_ string, b []byte) []byte { return b }, "../evil"),
		"not a backup at all": []byte("hello"),
	} {
		dir := t.TempDir()
		if _, err := backup.Read(bytes.NewReader(bad), dir, allowed); !errors.Is(err, backup.ErrDamaged) {
			t.Errorf("%s: %v, want ErrDamaged", name, err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
			t.Errorf("%s: wrote outside the target", name)
		}
	}
}

// A name with a slash restores in its subdirectory; a name that would leave
// the target is refused even by a caller that allows every name.
func TestSubdirectoriesAndEscapes(t *testing.T) {
	for name, wantOK := range map[string]bool{"audio/bm/home.prompt.wav": true, "../evil": false, "/tmp/evil": false, "audio/../../evil": false} {
		var buf bytes.Buffer
		if err := backup.Write(&buf, nil, map[string][]byte{name: []byte("prompt")}, time.Now()); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "target")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := backup.Read(bytes.NewReader(buf.Bytes()), dir, func(string) bool { return true })
		if got, _ := os.ReadFile(filepath.Join(dir, name)); wantOK && (err != nil || string(got) != "prompt") {
			t.Errorf("%s: %v, restored %q", name, err, got)
		}
		if !wantOK && !errors.Is(err, backup.ErrDamaged) {
			t.Errorf("%s: %v, want ErrDamaged", name, err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
			t.Errorf("%s: wrote outside the target", name)
		}
	}
}
