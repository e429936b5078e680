package callerid_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/keystore"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		raw, region, want string
	}{
		{"+22376000001", "ML", "+22376000001"},
		{"22376000001", "ML", "+22376000001"},
		{"0022376000001", "ML", "+22376000001"},
		{"76 00 00 01", "ML", "+22376000001"},
		{"76000001", "ML", "+22376000001"},
		{" +223 76-00-00-01 ", "ML", "+22376000001"},
		{"+22365012345", "ML", "+22365012345"}, // Moov Africa Malitel
		{"+22350000001", "ML", "+22350000001"}, // Telecel's 5x range
		{"+22380012345", "ML", "+22380012345"}, // toll free
		{"+254739495441", "ML", "+254739495441"},
		{"anonymous", "ML", "digits:"},
		{"12", "ML", "digits:12"},
	}
	for _, tt := range tests {
		if got := callerid.Normalize(tt.raw, tt.region); got != tt.want {
			t.Errorf("Normalize(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
		}
	}
}

func TestKeySameCallerAnyNotation(t *testing.T) {
	kr := callerid.New([]byte(strings.Repeat("a", 32)))
	want := kr.Key("+22376000001", "ML")
	for _, raw := range []string{"22376000001", "76000001", "0022376000001", "+223 76 00 00 01"} {
		if got := kr.Key(raw, "ML"); got != want {
			t.Errorf("Key(%q) = %q, want %q", raw, got, want)
		}
	}
	if !strings.HasPrefix(want, "k1:") || strings.Contains(want, "76000001") {
		t.Errorf("key %q is not a versioned opaque hash", want)
	}
	if other := kr.Key("+22376000002", "ML"); other == want {
		t.Error("two numbers share a key")
	}
}

func TestKeyDependsOnSecret(t *testing.T) {
	a := callerid.New([]byte(strings.Repeat("a", 32)))
	b := callerid.New([]byte(strings.Repeat("b", 32)))
	if a.Key("+22376000001", "ML") == b.Key("+22376000001", "ML") {
		t.Error("different secrets gave the same caller key")
	}
}

func TestRotationKeepsOldKeysForLookup(t *testing.T) {
	dir, _, err := keystore.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	kr1, created, err := callerid.Load(dir)
	if err != nil || !created {
		t.Fatalf("Load: created=%v err=%v", created, err)
	}
	old := kr1.Key("+22376000001", "ML")
	if _, err := dir.Rotate(callerid.Purpose); err != nil {
		t.Fatal(err)
	}
	kr2, created, err := callerid.Load(dir)
	if err != nil || created {
		t.Fatalf("reload: created=%v err=%v", created, err)
	}
	all := kr2.Keys("+22376000001", "ML")
	if len(all) != 2 || !strings.HasPrefix(all[0], "k2:") || all[1] != old {
		t.Errorf("Keys after rotation = %v, want [k2:…, %s]", all, old)
	}
	if kr2.Key("+22376000001", "ML") != all[0] {
		t.Error("new cases must use the newest key")
	}
}

// A rotation while serving: the keyring in use takes the new version at
// once, and forgets the keys it remembered under the old one.
func TestUseKeysWhileServing(t *testing.T) {
	dir, _, err := keystore.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	kr, _, err := callerid.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := kr.Key("+22376000002", "ML") // now in the memo
	if _, err := dir.Rotate(callerid.Purpose); err != nil {
		t.Fatal(err)
	}
	keys, _, err := dir.Keys(callerid.Purpose)
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.UseKeys(keys); err != nil {
		t.Fatal(err)
	}
	if k := kr.Key("+22376000002", "ML"); !strings.HasPrefix(k, "k2:") {
		t.Errorf("Key after UseKeys = %.3s…, want the k2 version", k)
	}
	if all := kr.Keys("+22376000002", "ML"); len(all) != 2 || all[1] != old {
		t.Errorf("Keys after UseKeys: %d keys, old one kept: %v", len(all), len(all) == 2 && all[1] == old)
	}
	if err := kr.UseKeys(nil); err == nil {
		t.Error("UseKeys with no key accepted")
	}
}

func TestKeysDirectoryPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	dir, created, err := keystore.Open(path)
	if err != nil || !created {
		t.Fatalf("Open: created=%v err=%v", created, err)
	}
	if _, _, err := callerid.Load(dir); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("keys dir mode %o, want 700", perm)
	}
	f, err := os.Stat(filepath.Join(path, "callerid-k1.key"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := f.Mode().Perm(); perm != 0o600 || f.Size() != keystore.Size {
		t.Errorf("key file mode %o size %d, want 600 and %d", perm, f.Size(), keystore.Size)
	}
	// A truncated key is refused rather than silently weakening the hash.
	if err := os.WriteFile(filepath.Join(path, "callerid-k2.key"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := callerid.Load(dir); err == nil {
		t.Error("Load accepted a short key")
	}
}

// A staff key is derived from the caller key, keeps its version, and is
// no caller key: the config's staff list names nobody in the cases.
func TestStaffKey(t *testing.T) {
	a, b := callerid.New([]byte("secret-a")), callerid.New([]byte("secret-b"))
	ka := a.Key("+22376000071", "ML")
	sa := callerid.StaffKey(ka)
	if !strings.HasPrefix(sa, "s1:") || sa == ka || strings.Contains(sa, strings.TrimPrefix(ka, "k1:")) {
		t.Errorf("StaffKey(%s) = %s", ka, sa)
	}
	if sa != callerid.StaffKey(a.Key("76000071", "ML")) || sa == callerid.StaffKey(b.Key("+22376000071", "ML")) {
		t.Error("the staff key does not follow the caller key")
	}
	if callerid.StaffKey("not a key") != "" {
		t.Error("a malformed caller key gives a staff key")
	}
}
