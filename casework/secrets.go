package casework

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/numerovert/hotline/keystore"
)

// Key purposes in the keys directory.
const (
	PINKeyPurpose  = "pin"
	SealKeyPurpose = "seal"
)

// keyring is the versions of one secret, the last one current.
type keyring []keystore.Key

func (kr keyring) current() keystore.Key { return kr[len(kr)-1] }

func (kr keyring) version(v string) (keystore.Key, bool) {
	for _, k := range kr {
		if k.Version == v {
			return k, true
		}
	}
	return keystore.Key{}, false
}

func checkKeys(purpose string, keys []keystore.Key) (keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("casework: no %s key", purpose)
	}
	for _, k := range keys {
		if len(k.Secret) != keystore.Size || k.Version == "" || strings.Contains(k.Version, ":") {
			return nil, fmt.Errorf("casework: %s %s: want a %d-byte secret and a version", purpose, k, keystore.Size)
		}
	}
	return keyring(keys), nil
}

// newPIN draws a 4-digit PIN (0000–9999) from crypto/rand.
func newPIN() string {
	n, err := rand.Int(rand.Reader, big.NewInt(10_000))
	if err != nil {
		panic(fmt.Sprintf("casework: crypto/rand failed: %v", err))
	}
	return fmt.Sprintf("%04d", n.Int64())
}

// pinMAC binds a PIN to one case: the same PIN on two cases hashes apart.
// A keyed hash, because 10,000 PINs are tried in no time against a plain
// hash taken with the database.
func pinMAC(k keystore.Key, caseID, pin string) []byte {
	m := hmac.New(sha256.New, k.Secret)
	m.Write([]byte("pin\x00" + caseID + "\x00" + pin))
	return m.Sum(nil)
}

func (kr keyring) hashPIN(caseID, pin string) string {
	k := kr.current()
	return k.Version + ":" + hex.EncodeToString(pinMAC(k, caseID, pin))
}

// checkPIN compares in constant time. It does the same work when stored is
// empty (no such case), so timing does not tell whether a reference exists.
func (kr keyring) checkPIN(caseID, pin, stored string) bool {
	v, sum, _ := strings.Cut(stored, ":")
	k, ok := kr.version(v)
	if !ok {
		k = kr.current()
	}
	want, err := hex.DecodeString(sum)
	got := pinMAC(k, caseID, pin)
	return hmac.Equal(got, want) && ok && err == nil && len(pin) == 4
}

func (kr keyring) aead(k keystore.Key) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("seal key %s: %w", k, err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts a contact with AES-256-GCM, bound to its case (the case ID
// is the additional data, so a sealed blob moved to another case fails).
func (kr keyring) seal(caseID string, c Contact) (string, error) {
	k := kr.current()
	gcm, err := kr.aead(k)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode contact: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	out := gcm.Seal(nonce, nonce, plain, []byte("contact\x00"+caseID))
	return k.Version + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

var errNoSealKey = errors.New("the key that sealed it is no longer held")

func (kr keyring) open(caseID, sealed string) (Contact, error) {
	v, b64, _ := strings.Cut(sealed, ":")
	k, ok := kr.version(v)
	if !ok {
		return Contact{}, errNoSealKey
	}
	gcm, err := kr.aead(k)
	if err != nil {
		return Contact{}, err
	}
	data, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(data) < gcm.NonceSize() {
		return Contact{}, errors.New("sealed contact is malformed")
	}
	plain, err := gcm.Open(nil, data[:gcm.NonceSize()], data[gcm.NonceSize():], []byte("contact\x00"+caseID))
	if err != nil {
		return Contact{}, fmt.Errorf("open sealed contact: %w", err)
	}
	var c Contact
	if err := json.Unmarshal(plain, &c); err != nil {
		return Contact{}, fmt.Errorf("decode contact: %w", err)
	}
	return c, nil
}
