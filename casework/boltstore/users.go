package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/casework"
)

// Staff accounts and API tokens live in the same file as the cases, in
// buckets made on first write (older files have none).
var (
	bucketUsers  = []byte("users")       // login name → JSON casework.User
	bucketTokens = []byte("api_tokens")  // hex SHA-256 of token → JSON casework.APIToken
	bucketAdmin  = []byte("admin_audit") // sequence (big-endian) → JSON casework.AdminEvent
)

var _ casework.UserStore = (*Store)(nil)

func (s *Store) put(ctx context.Context, op string, bucket []byte, key string, v any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("boltstore: %s: encode: %w", op, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucket, err)
		}
		return b.Put([]byte(key), data)
	})
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, op string, bucket []byte, key string, v any) error {
	return s.view(ctx, op, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return casework.ErrNoUser
		}
		data := b.Get([]byte(key))
		if data == nil {
			return casework.ErrNoUser
		}
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		return nil
	})
}

// PutUser implements casework.UserStore.
func (s *Store) PutUser(ctx context.Context, u casework.User) error {
	if u.Name == "" {
		return errors.New("boltstore: put user: no name")
	}
	return s.put(ctx, "put user", bucketUsers, u.Name, u)
}

// User implements casework.UserStore.
func (s *Store) User(ctx context.Context, name string) (casework.User, error) {
	var u casework.User
	err := s.get(ctx, "user", bucketUsers, name, &u)
	return u, err
}

// Users implements casework.UserStore.
func (s *Store) Users(ctx context.Context) ([]casework.User, error) {
	out := []casework.User{}
	err := s.view(ctx, "users", func(tx *bolt.Tx) error {
		out = out[:0]
		b := tx.Bucket(bucketUsers)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var u casework.User
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("decode user: %w", err)
			}
			out = append(out, u)
			return nil
		})
	})
	return out, err
}

// PutToken implements casework.UserStore.
func (s *Store) PutToken(ctx context.Context, t casework.APIToken) error {
	if t.Hash == "" {
		return errors.New("boltstore: put token: no hash")
	}
	return s.put(ctx, "put token", bucketTokens, t.Hash, t)
}

// Token implements casework.UserStore.
func (s *Store) Token(ctx context.Context, hash string) (casework.APIToken, error) {
	var t casework.APIToken
	err := s.get(ctx, "token", bucketTokens, hash, &t)
	return t, err
}

// Tokens implements casework.UserStore.
func (s *Store) Tokens(ctx context.Context) ([]casework.APIToken, error) {
	out := []casework.APIToken{}
	err := s.view(ctx, "tokens", func(tx *bolt.Tx) error {
		out = out[:0]
		b := tx.Bucket(bucketTokens)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var t casework.APIToken
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode token: %w", err)
			}
			out = append(out, t)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b casework.APIToken) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// DeleteToken implements casework.UserStore.
func (s *Store) DeleteToken(ctx context.Context, hash string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: delete token: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		if b == nil || b.Get([]byte(hash)) == nil {
			return casework.ErrNoUser
		}
		return b.Delete([]byte(hash))
	})
	if err != nil {
		return wrap("delete token", err)
	}
	return nil
}

// AddAdminEvent implements casework.UserStore.
func (s *Store) AddAdminEvent(ctx context.Context, e casework.AdminEvent) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: admin event: %w", err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("boltstore: admin event: encode: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAdmin)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketAdmin, err)
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), data)
	})
	if err != nil {
		return wrap("admin event", err)
	}
	return nil
}

// AdminEvents implements casework.UserStore.
func (s *Store) AdminEvents(ctx context.Context) ([]casework.AdminEvent, error) {
	out := []casework.AdminEvent{}
	err := s.view(ctx, "admin events", func(tx *bolt.Tx) error {
		out = out[:0]
		b := tx.Bucket(bucketAdmin)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var e casework.AdminEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode admin event: %w", err)
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}
