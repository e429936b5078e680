package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/casework"
)

// The information line's pages and view counts (issue 15), in the cases'
// file: they are part of its backups and hold nothing about a caller.
var (
	bucketInfoPages = []byte("info_pages") // page id → JSON casework.InfoPage
	bucketInfoViews = []byte("info_views") // month 0x00 place 0x00 topic → uint64 big-endian
)

// Added here, not in boltstore.go's list, to keep the information line's
// storage in its own file; Open runs after package initialisation.
func init() { allBuckets = append(allBuckets, bucketInfoPages, bucketInfoViews) }

var _ casework.InfoStore = (*Store)(nil)

// PutInfoPage implements casework.InfoStore, fsynced like a case.
func (s *Store) PutInfoPage(ctx context.Context, p casework.InfoPage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: put information page: %w", err)
	}
	if p.ID == "" {
		return fmt.Errorf("boltstore: put information page: no id")
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("boltstore: encode information page: %w", err)
	}
	if err := s.commit.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInfoPages).Put([]byte(p.ID), data)
	}); err != nil {
		return wrap("put information page", err)
	}
	return nil
}

// InfoPage implements casework.InfoStore.
func (s *Store) InfoPage(ctx context.Context, id string) (casework.InfoPage, error) {
	var p casework.InfoPage
	err := s.view(ctx, "information page", func(tx *bolt.Tx) error {
		data := tx.Bucket(bucketInfoPages).Get([]byte(id))
		if data == nil {
			return casework.ErrNotFound
		}
		return json.Unmarshal(data, &p)
	})
	return p, err
}

// InfoPages implements casework.InfoStore.
func (s *Store) InfoPages(ctx context.Context) ([]casework.InfoPage, error) {
	var out []casework.InfoPage
	err := s.view(ctx, "information pages", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInfoPages).ForEach(func(_, v []byte) error {
			var p casework.InfoPage
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode information page: %w", err)
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

func viewKey(month, place, topic string) []byte {
	return []byte(month + "\x00" + place + "\x00" + topic)
}

// CountInfoView implements casework.InfoStore.
func (s *Store) CountInfoView(ctx context.Context, month, place, topic string, n int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: count information view: %w", err)
	}
	k := viewKey(month, place, topic)
	if err := s.commit.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInfoViews)
		var total uint64
		if v := b.Get(k); len(v) == 8 {
			total = binary.BigEndian.Uint64(v)
		}
		return b.Put(k, binary.BigEndian.AppendUint64(nil, total+uint64(max(n, 0))))
	}); err != nil {
		return wrap("count information view", err)
	}
	return nil
}

// InfoViews implements casework.InfoStore.
func (s *Store) InfoViews(ctx context.Context) (map[casework.InfoViewKey]int, error) {
	out := map[casework.InfoViewKey]int{}
	err := s.view(ctx, "information views", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInfoViews).ForEach(func(k, v []byte) error {
			parts := strings.Split(string(k), "\x00")
			if len(parts) != 3 || len(v) != 8 {
				return fmt.Errorf("information views: bad record")
			}
			out[casework.InfoViewKey{Month: parts[0], Place: parts[1], Topic: parts[2]}] = int(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	return out, err
}

var bucketBroadcasts = []byte("broadcasts") // id → JSON casework.Broadcast

func init() { allBuckets = append(allBuckets, bucketBroadcasts) }

var _ casework.BroadcastStore = (*Store)(nil)

// PutBroadcast implements casework.BroadcastStore, fsynced.
func (s *Store) PutBroadcast(ctx context.Context, b casework.Broadcast) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: put broadcast: %w", err)
	}
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("boltstore: encode broadcast: %w", err)
	}
	if err := s.commit.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBroadcasts).Put([]byte(b.ID), data)
	}); err != nil {
		return wrap("put broadcast", err)
	}
	return nil
}

// Broadcast implements casework.BroadcastStore.
func (s *Store) Broadcast(ctx context.Context, id string) (casework.Broadcast, error) {
	var b casework.Broadcast
	err := s.view(ctx, "broadcast", func(tx *bolt.Tx) error {
		data := tx.Bucket(bucketBroadcasts).Get([]byte(id))
		if data == nil {
			return casework.ErrNotFound
		}
		return json.Unmarshal(data, &b)
	})
	return b, err
}

// Broadcasts implements casework.BroadcastStore.
func (s *Store) Broadcasts(ctx context.Context) ([]casework.Broadcast, error) {
	var out []casework.Broadcast
	err := s.view(ctx, "broadcasts", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBroadcasts).ForEach(func(_, v []byte) error {
			var b casework.Broadcast
			if err := json.Unmarshal(v, &b); err != nil {
				return fmt.Errorf("decode broadcast: %w", err)
			}
			out = append(out, b)
			return nil
		})
	})
	return out, err
}

var bucketSummaries = []byte("info_summaries") // month|cercle → JSON casework.MonthSummary

func init() { allBuckets = append(allBuckets, bucketSummaries) }

var _ casework.SummaryStore = (*Store)(nil)

// PutSummary implements casework.SummaryStore, fsynced.
func (s *Store) PutSummary(ctx context.Context, sum casework.MonthSummary) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: put summary: %w", err)
	}
	data, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("boltstore: encode summary: %w", err)
	}
	if err := s.commit.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSummaries).Put([]byte(sum.ID), data)
	}); err != nil {
		return wrap("put summary", err)
	}
	return nil
}

// Summary implements casework.SummaryStore.
func (s *Store) Summary(ctx context.Context, id string) (casework.MonthSummary, error) {
	var sum casework.MonthSummary
	err := s.view(ctx, "summary", func(tx *bolt.Tx) error {
		data := tx.Bucket(bucketSummaries).Get([]byte(id))
		if data == nil {
			return casework.ErrNotFound
		}
		return json.Unmarshal(data, &sum)
	})
	return sum, err
}

// Summaries implements casework.SummaryStore.
func (s *Store) Summaries(ctx context.Context) ([]casework.MonthSummary, error) {
	var out []casework.MonthSummary
	err := s.view(ctx, "summaries", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSummaries).ForEach(func(_, v []byte) error {
			var sum casework.MonthSummary
			if err := json.Unmarshal(v, &sum); err != nil {
				return fmt.Errorf("decode summary: %w", err)
			}
			out = append(out, sum)
			return nil
		})
	})
	return out, err
}
