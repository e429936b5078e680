package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
)

func TestAppendDetail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := s.Submit(ctx, casework.Intake{IdempotencyKey: "sms/1", CallerKey: "k1:abc", Channel: "demo-at", Medium: "sms", Language: "fr", Category: "uncoded", Detail: "premier"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key, text string
		wantDetail      string
		wantErr         error
	}{
		{"append", "sms/2", "deuxième", "premier\n---\ndeuxième", nil},
		{"retry is a no-op", "sms/2", "deuxième", "premier\n---\ndeuxième", nil},
		{"another", "sms/3", "troisième", "premier\n---\ndeuxième\n---\ntroisième", nil},
		{"empty text", "sms/4", "  ", "", casework.ErrInvalidIntake},
		{"too long", "sms/5", strings.Repeat("a", casework.MaxDetailBytes), "", casework.ErrInvalidIntake},
		{"no key", "", "x", "", casework.ErrInvalidIntake},
	}
	for _, tt := range tests {
		got, err := s.AppendDetail(ctx, c.ID, tt.key, tt.text)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Detail != tt.wantDetail {
			t.Errorf("%s: = %q, %v; want %q", tt.name, got.Detail, err, tt.wantDetail)
		}
	}
	if _, err := s.AppendDetail(ctx, "nope", "sms/9", "x"); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
	// Durable: the appends survive a reopen, and the indexes still work.
	s.Close()
	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ByReference(ctx, c.Reference)
	if err != nil || got.Detail != "premier\n---\ndeuxième\n---\ntroisième" {
		t.Errorf("after reopen: %q, %v", got.Detail, err)
	}
}
