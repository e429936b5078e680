package web

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// The radio script as a PDF (issue 15): what a local radio presenter or a
// community meeting prints, in large type. The PDF core fonts know no
// Bambara or Fulfulde letter (ɛ ɔ ɲ ŋ ɓ ɗ ƴ), so the script is set in
// DejaVu Sans, embedded here (fonts/LICENSE: the Bitstream Vera licence,
// DejaVu's changes in the public domain); fpdf keeps only the glyphs a
// script uses.

//go:embed fonts/DejaVuSans.ttf
var scriptFont []byte

// scriptPDF is the printable radio script: the heading, then each line of
// the script as a paragraph. at is the document's date (the approval's, so
// the same script gives the same file).
func scriptPDF(heading string, lines []string, at time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(heading, true)
	pdf.SetCreator("Numéro Vert", true)
	pdf.AddUTF8FontFromBytes("script", "", scriptFont)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont("script", "", 9)
		pdf.CellFormat(0, 10, fmt.Sprintf("%d/{nb}", pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("script", "", 18)
	pdf.MultiCell(0, 9, heading, "", "L", false)
	pdf.Ln(4)
	pdf.SetFont("script", "", 14)
	for _, l := range lines {
		pdf.MultiCell(0, 7.5, l, "", "L", false)
		pdf.Ln(3)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("radio script pdf: %w", err)
	}
	return buf.Bytes(), nil
}
