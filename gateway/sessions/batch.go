package sessions

import "time"

// Write is one change of a batch (SaveAll): Value kept under Key for TTL,
// or, with Delete, Key removed. A batch lets a hop write its session and
// its caller's resume record in one Redis round trip instead of two.
type Write struct {
	Key    string
	Value  []byte
	TTL    time.Duration
	Delete bool
}
