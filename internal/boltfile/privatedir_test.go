package boltfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/numerovert/hotline/internal/boltfile"
)

// An existing data directory that other users may read is tightened to
// 0700 before any file is opened in it.
func TestLooseDataDirectoryIsTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	db, err := boltfile.Open(filepath.Join(dir, "x.db"), []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Fatalf("data directory mode %04o, want 0700", perm)
	}
}
