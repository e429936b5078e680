// Package locales is data, not code: the menu tree (tree.yaml), one strings
// file per language (<lang>.yaml) and the OCHA P-codes of Mali's regions
// and cercles (places.csv). This file only embeds them in the binary so
// that `hotline serve` runs with no files beside it; `--locales DIR` reads
// an edited copy instead.
package locales

import "embed"

// FS holds the shipped locale files at its root.
//
//go:embed *.yaml places.csv
var FS embed.FS
