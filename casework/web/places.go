package web

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// Place is an administrative area by its OCHA P-code.
type Place struct {
	Code   string
	Name   string
	Level  int    // 1 région, 2 cercle
	Parent string // the region of a cercle
}

// ReadPlaces reads locales/places.csv (admin_level,pcode,name,parent_pcode,…;
// lines starting with # are comments).
func ReadPlaces(r io.Reader) ([]Place, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("web: places: %w", err)
	}
	var out []Place
	for i, row := range rows {
		if i == 0 || len(row) < 4 {
			continue
		}
		level, err := strconv.Atoi(row[0])
		if err != nil {
			return nil, fmt.Errorf("web: places: line %d: admin level %q", i+1, row[0])
		}
		out = append(out, Place{Code: row[1], Name: row[2], Level: level, Parent: row[3]})
	}
	return out, nil
}

// placeName names a P-code, or returns it as is.
func (w *Web) placeName(code string) string {
	if p, ok := w.places[code]; ok {
		return p.Name
	}
	return code
}
