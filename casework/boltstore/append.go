package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/casework"
)

// bucketAppends records which appends were made (idempotency key → case
// id), so that a provider retrying a message never adds it twice. It is
// created on first use, which keeps this file apart from Open's layout
// while the casework API for follow-up messages is settled.
var bucketAppends = []byte("appends")

// AppendSeparator goes between a case's detail and each appended text.
const AppendSeparator = "\n---\n"

// AppendDetail adds text to the detail of case id, durably, and returns the
// case. It is idempotent on key: a repeat returns the case unchanged. When
// the detail would exceed casework.MaxDetailBytes it fails and changes
// nothing, so the caller can open a new case instead.
//
// A stop-gap until casework grows a message trail on cases (branch i4).
func (s *Store) AppendDetail(ctx context.Context, id, key, text string) (casework.Case, error) {
	switch {
	case key == "" || len(key) > casework.MaxIdempotencyKeyBytes:
		return casework.Case{}, fmt.Errorf("boltstore: append: %w: bad idempotency key", casework.ErrInvalidIntake)
	case !utf8.ValidString(text) || strings.TrimSpace(text) == "":
		return casework.Case{}, fmt.Errorf("boltstore: append: %w: text is empty or not UTF-8", casework.ErrInvalidIntake)
	}
	if err := ctx.Err(); err != nil {
		return casework.Case{}, fmt.Errorf("boltstore: append: %w", err)
	}
	var out casework.Case
	err := s.db.Batch(func(tx *bolt.Tx) error {
		appends, err := tx.CreateBucketIfNotExists(bucketAppends)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketAppends, err)
		}
		c, err := getByID(tx, []byte(id))
		if err != nil {
			return err
		}
		out = c
		if appends.Get([]byte(key)) != nil {
			return nil
		}
		detail := text
		if c.Detail != "" {
			detail = c.Detail + AppendSeparator + text
		}
		if len(detail) > casework.MaxDetailBytes {
			return fmt.Errorf("%w: detail would exceed %d bytes", casework.ErrInvalidIntake, casework.MaxDetailBytes)
		}
		c.Detail = detail
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode case: %w", err)
		}
		if err := tx.Bucket(bucketCases).Put([]byte(c.ID), data); err != nil {
			return fmt.Errorf("put case: %w", err)
		}
		if err := appends.Put([]byte(key), []byte(c.ID)); err != nil {
			return fmt.Errorf("put append: %w", err)
		}
		out = c
		return nil
	})
	if err != nil {
		return casework.Case{}, wrap("append", err)
	}
	return out, nil
}
