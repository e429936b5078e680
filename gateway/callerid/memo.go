package callerid

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"sync"
)

// memoGeneration is how many numbers one generation of the memo holds; the
// memo keeps two, so the last 32,768 to 65,536 distinct callers are
// remembered, in about 6 MB at most.
const memoGeneration = 1 << 15

// memo remembers recent caller keys in memory, so that a caller's number
// is parsed and hashed once per session rather than on every hop.
//
// It is indexed by a tag: HMAC-SHA256 of the raw number under a secret drawn
// at process start, kept only in this struct and never written anywhere.
// The memo therefore holds no number, and its tags mean nothing outside
// this process or after it ends. 128 bits of tag make a collision, which
// would give one caller another's key, practically impossible.
type memo struct {
	secret [32]byte
	// macs are HMACs under secret, reset and reused: a fresh hmac.New per
	// hop was the largest allocation of a hop and twice its hashing.
	macs sync.Pool

	mu        sync.Mutex
	cur, prev map[[16]byte]string
}

func newMemo() *memo {
	m := &memo{cur: make(map[[16]byte]string)}
	if _, err := rand.Read(m.secret[:]); err != nil {
		panic("callerid: no randomness for the memo secret: " + err.Error())
	}
	m.macs.New = func() any { return hmac.New(sha256.New, m.secret[:]) }
	return m
}

// tag is the memo's index for raw in region.
func (m *memo) tag(raw, region string) [16]byte {
	mac := m.macs.Get().(hash.Hash)
	mac.Reset()
	var buf [64]byte
	b := append(append(append(buf[:0], region...), 0), raw...)
	mac.Write(b)
	var sum [sha256.Size]byte
	mac.Sum(sum[:0])
	m.macs.Put(mac)
	var t [16]byte
	copy(t[:], sum[:])
	return t
}

func (m *memo) get(t [16]byte) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.cur[t]; ok {
		return k, true
	}
	k, ok := m.prev[t]
	if ok {
		m.putLocked(t, k)
	}
	return k, ok
}

func (m *memo) put(t [16]byte, key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(t, key)
}

// putLocked adds to the current generation, and when it is full makes it
// the previous one, forgetting the oldest generation whole.
func (m *memo) putLocked(t [16]byte, key string) {
	if len(m.cur) >= memoGeneration {
		m.prev, m.cur = m.cur, make(map[[16]byte]string, memoGeneration/4)
	}
	m.cur[t] = key
}
