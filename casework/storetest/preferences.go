package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/numerovert/hotline/casework"
)

// RunPreferences runs the casework.Preferences contract against fresh
// stores made by open (each also closed by RunPreferences).
func RunPreferences(t *testing.T, open func(t *testing.T) PreferencesStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s PreferencesStore)
	}{
		{"LanguageRoundTrip", testLanguageRoundTrip},
		{"LanguageInvalid", testLanguageInvalid},
		{"LanguageConcurrent", testLanguageConcurrent},
		{"LanguageAfterClose", testLanguageAfterClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

// PreferencesStore is a store that keeps caller preferences and can be closed.
type PreferencesStore interface {
	casework.Preferences
	Close() error
}

func testLanguageRoundTrip(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	if lang, ok, err := s.Language(ctx, "k1:unknown"); err != nil || ok || lang != "" {
		t.Fatalf("Language(unknown) = %q, %v, %v; want \"\", false, nil", lang, ok, err)
	}
	steps := []struct{ key, lang string }{
		{"k1:aaaa", "bm"},
		{"k1:bbbb", "ff"},
		{"k1:aaaa", "fr"}, // a later choice replaces the earlier one
	}
	for _, st := range steps {
		if err := s.SetLanguage(ctx, st.key, st.lang); err != nil {
			t.Fatalf("SetLanguage(%s, %s): %v", st.key, st.lang, err)
		}
	}
	for key, want := range map[string]string{"k1:aaaa": "fr", "k1:bbbb": "ff"} {
		if lang, ok, err := s.Language(ctx, key); err != nil || !ok || lang != want {
			t.Errorf("Language(%s) = %q, %v, %v; want %q", key, lang, ok, err, want)
		}
	}
}

func testLanguageInvalid(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	tests := []struct{ name, key, lang string }{
		{"empty key", "", "bm"},
		{"empty language", "k1:cccc", ""},
		{"control character", "k1:cc\x00cc", "bm"},
		{"key too long", "k1:" + string(make([]byte, casework.MaxFieldBytes)), "bm"},
		{"not UTF-8", "k1:cccc", "b\xffm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetLanguage(ctx, tt.key, tt.lang)
			if !errors.Is(err, casework.ErrInvalidPreference) {
				t.Fatalf("SetLanguage = %v; want ErrInvalidPreference", err)
			}
			if _, ok, _ := s.Language(ctx, tt.key); ok {
				t.Errorf("an invalid preference was stored")
			}
		})
	}
	if err := s.SetLanguage(ctx, "k1:secret-key", " "); err == nil || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("error %v quotes the caller key", err)
	}
}

func testLanguageConcurrent(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := s.SetLanguage(ctx, fmt.Sprintf("k1:%04d", i), []string{"bm", "ff", "fr", "ses"}[i%4]); err != nil {
				t.Errorf("SetLanguage: %v", err)
			}
		})
	}
	wg.Wait()
	for i := range 16 {
		want := []string{"bm", "ff", "fr", "ses"}[i%4]
		if lang, ok, err := s.Language(ctx, fmt.Sprintf("k1:%04d", i)); err != nil || !ok || lang != want {
			t.Errorf("caller %d: %q, %v, %v; want %q", i, lang, ok, err, want)
		}
	}
}

func testLanguageAfterClose(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLanguage(ctx, "k1:dddd", "bm"); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("SetLanguage after Close = %v; want ErrClosed", err)
	}
	if _, _, err := s.Language(ctx, "k1:dddd"); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("Language after Close = %v; want ErrClosed", err)
	}
}
