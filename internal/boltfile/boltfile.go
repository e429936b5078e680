// Package boltfile opens the hotline's bbolt files the one way they are all
// opened: a private file (0600) in a private directory (0700), its buckets
// created, and a clear error when another process holds the lock.
//
// It must never weaken durability (NoSync, NoFreelistSync) for anyone.
package boltfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrLocked is returned (wrapped) by Open when another process holds the
// file, typically the server while an operator tool runs.
var ErrLocked = errors.New("locked by another process (is the server running?)")

// lockTimeout bounds how long Open waits for another process's lock.
const lockTimeout = time.Second

// Open opens or creates the file at path with every bucket in buckets.
// Errors name the path, never the contents.
func Open(path string, buckets ...[]byte) (*bolt.DB, error) {
	if err := PrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// PrivateDir makes dir if missing (mode 0700) and makes sure only its
// owner can enter it: an existing directory that others may read or enter
// is tightened to 0700 when it is ours, and refused when it is not (someone
// else could have made it, or could loosen it again).
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if info.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if !ownedByUs(info) {
		return fmt.Errorf("data directory %s is open to other users (mode %04o) and not owned by this user: refusing to use it", dir, info.Mode().Perm())
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s is open to other users (mode %04o): %w", dir, info.Mode().Perm(), err)
	}
	return nil
}
