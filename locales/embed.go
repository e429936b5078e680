// Package locales is data, not code: the menu tree (tree.yaml), one strings
// file per language (<lang>.yaml), the OCHA P-codes of Mali's regions
// and cercles (places.csv) and the voice prompts (audio/<lang>/<key>.wav).
// This file only embeds them in the binary so that `hotline serve` runs
// with no files beside it; `--locales DIR` reads an edited copy instead.
package locales

import "embed"

// FS holds the shipped locale files at its root.
//
//go:embed *.yaml places.csv
var FS embed.FS

// Audio holds audio/: the prompt recordings present when the binary was
// built (`make prompts` makes placeholders for French and English).
//
//go:embed audio
var Audio embed.FS
