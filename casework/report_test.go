package casework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

func TestCountSuppressesUnderFive(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	for i := range 7 {
		cat := "exclusion"
		if i >= 5 {
			cat = "question"
		}
		f.submit(t, f.intake("k1:x", cat, "ML05", "ML0501", "cash"))
	}
	r, err := f.svc.Report(ctx, casework.ReportOptions{Weeks: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Weeks) != 4 || r.Weeks[3] != casework.Week(f.clock.Now()) || r.Weeks[3].Weekday() != time.Monday {
		t.Fatalf("weeks %v", r.Weeks)
	}
	got := map[string]string{}
	for _, s := range r.ByCategory {
		got[s.Key] = s.Total.String()
		if v, ok := s.Total.Value(); s.Key == "question" && (ok || v != 0) {
			t.Errorf("Value of a suppressed count = %d, %v", v, ok)
		}
	}
	if got["exclusion"] != "5" || got["question"] != "<5" || r.Total.String() != "7" {
		t.Errorf("by category %v, total %s; want exclusion 5, question <5, total 7", got, r.Total)
	}
	if r.ByCategory[0].Counts[0].String() != "<5" {
		t.Error("an empty week is not shown as <5")
	}
	js, _ := json.Marshal(r)
	var decoded struct {
		ByCategory []struct{ Total any } `json:"by_category"`
	}
	if err := json.Unmarshal(js, &decoded); err != nil || decoded.ByCategory[1].Total != "<5" || decoded.ByCategory[0].Total != 5.0 {
		t.Errorf("JSON does not suppress: %s", js)
	}
	var csv bytes.Buffer
	if err := r.WriteCSV(&csv, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), ",question,new,<5") || !strings.Contains(csv.String(), "#adm1+code") {
		t.Errorf("csv:\n%s", csv.String())
	}
}
