// Package keystore keeps the hotline's secrets in a directory of their own,
// apart from the database and its backups.
//
// Each secret is a file of random bytes named after its purpose and
// version ("callerid-k1.key"). The directory is created 0700 and every file
// 0600. Destroying a file destroys what it protects (crypto-shredding): the
// caller keys made with a destroyed HMAC key can no longer be linked to a
// number.
//
// This package must never log, print or return a secret's bytes in an error,
// and must never write a secret anywhere but the keys directory.
package keystore

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Size is the length of every secret, in bytes.
const Size = 32

// Dir is a keys directory on disk.
type Dir struct {
	path string
}

// Open returns the keys directory at path, creating it with mode 0700 when
// it does not exist. created reports whether it was made now.
func Open(path string) (d Dir, created bool, err error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(path, 0o700); err != nil {
			return Dir{}, false, fmt.Errorf("keystore: create directory: %w", err)
		}
		created = true
	case err != nil:
		return Dir{}, false, fmt.Errorf("keystore: stat directory: %w", err)
	case !info.IsDir():
		return Dir{}, false, fmt.Errorf("keystore: %s is not a directory", path)
	}
	return Dir{path: path}, created, nil
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9]*-k[0-9]+$`)

// Versions lists the versions held for purpose ("callerid" → ["k1", "k2"]),
// oldest first.
func (d Dir) Versions(purpose string) ([]string, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("keystore: read directory: %w", err)
	}
	var versions []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".key")
		if !ok || !namePattern.MatchString(name) {
			continue
		}
		p, v, _ := strings.Cut(name, "-")
		if p == purpose {
			versions = append(versions, v)
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versionNumber(versions[i]) < versionNumber(versions[j]) })
	return versions, nil
}

func versionNumber(v string) int {
	n := 0
	fmt.Sscanf(strings.TrimPrefix(v, "k"), "%d", &n)
	return n
}

// Read returns the secret for purpose and version.
func (d Dir) Read(purpose, version string) ([]byte, error) {
	name := purpose + "-" + version
	if !namePattern.MatchString(name) {
		return nil, fmt.Errorf("keystore: invalid key name %q", name)
	}
	b, err := os.ReadFile(filepath.Join(d.path, name+".key"))
	if err != nil {
		return nil, fmt.Errorf("keystore: read %s: %w", name, err)
	}
	if len(b) != Size {
		return nil, fmt.Errorf("keystore: %s holds %d bytes, want %d", name, len(b), Size)
	}
	return b, nil
}

// Ensure makes sure purpose has at least one version, creating "k1" from
// crypto/rand when it has none. It returns the versions held, oldest first,
// and whether a key was created now.
func (d Dir) Ensure(purpose string) (versions []string, created bool, err error) {
	versions, err = d.Versions(purpose)
	if err != nil || len(versions) > 0 {
		return versions, false, err
	}
	if err := d.create(purpose, "k1"); err != nil {
		return nil, false, err
	}
	return []string{"k1"}, true, nil
}

// Rotate adds a new version for purpose and returns its name. New material
// is keyed with it; older versions stay readable until their files are
// deleted.
func (d Dir) Rotate(purpose string) (string, error) {
	versions, err := d.Versions(purpose)
	if err != nil {
		return "", err
	}
	next := "k1"
	if len(versions) > 0 {
		next = fmt.Sprintf("k%d", versionNumber(versions[len(versions)-1])+1)
	}
	return next, d.create(purpose, next)
}

func (d Dir) create(purpose, version string) error {
	name := purpose + "-" + version
	if !namePattern.MatchString(name) {
		return fmt.Errorf("keystore: invalid key name %q", name)
	}
	secret := make([]byte, Size)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("keystore: random: %w", err)
	}
	path := filepath.Join(d.path, name+".key")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keystore: create %s: %w", name, err)
	}
	if _, err := f.Write(secret); err != nil {
		f.Close()
		return fmt.Errorf("keystore: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keystore: sync %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keystore: close %s: %w", name, err)
	}
	return nil
}

// Key is one version of a secret. Its String and LogValue never show the
// bytes, so a Key that reaches a log line or an error by mistake leaks nothing.
type Key struct {
	Version string
	Secret  []byte
}

// String names the version only.
func (k Key) String() string { return "key " + k.Version }

// GoString names the version only, so %#v does not print the secret either.
func (k Key) GoString() string { return k.String() }

// Keys ensures purpose has a key (creating "k1" when it has none) and
// returns every version held, oldest first: the last one is current, the
// older ones still open what was made with them. created reports whether a
// key was made now.
func (d Dir) Keys(purpose string) (keys []Key, created bool, err error) {
	versions, created, err := d.Ensure(purpose)
	if err != nil {
		return nil, false, err
	}
	for _, v := range versions {
		secret, err := d.Read(purpose, v)
		if err != nil {
			return nil, false, err
		}
		keys = append(keys, Key{Version: v, Secret: secret})
	}
	return keys, created, nil
}
