package gsm7_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus/gsm7"
)

func TestMeasureSMS(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want gsm7.SMSSize
	}{
		{"empty", "", gsm7.SMSSize{gsm7.GSM7, 0, 0}},
		{"one char", "a", gsm7.SMSSize{gsm7.GSM7, 1, 1}},
		{"160 GSM-7 is one segment", strings.Repeat("a", 160), gsm7.SMSSize{gsm7.GSM7, 160, 1}},
		{"161 GSM-7 is two", strings.Repeat("a", 161), gsm7.SMSSize{gsm7.GSM7, 161, 2}},
		{"306 GSM-7 is two", strings.Repeat("é", 306), gsm7.SMSSize{gsm7.GSM7, 306, 2}},
		{"307 GSM-7 is three", strings.Repeat("a", 307), gsm7.SMSSize{gsm7.GSM7, 307, 3}},
		{"extension chars count two", strings.Repeat("€", 80), gsm7.SMSSize{gsm7.GSM7, 160, 1}},
		{"extension chars over the edge", strings.Repeat("€", 80) + "a", gsm7.SMSSize{gsm7.GSM7, 161, 2}},
		{"70 UCS-2 is one", "ɛ" + strings.Repeat("a", 69), gsm7.SMSSize{gsm7.UCS2, 70, 1}},
		{"71 UCS-2 is two", "ɛ" + strings.Repeat("a", 70), gsm7.SMSSize{gsm7.UCS2, 71, 2}},
		{"134 UCS-2 is two", "ê" + strings.Repeat("a", 133), gsm7.SMSSize{gsm7.UCS2, 134, 2}},
		{"135 UCS-2 is three", "ê" + strings.Repeat("a", 134), gsm7.SMSSize{gsm7.UCS2, 135, 3}},
		{"astral rune is two UTF-16 units", "😀", gsm7.SMSSize{gsm7.UCS2, 2, 1}},
		{"decomposed é is GSM-7 after NFC", "e\u0301", gsm7.SMSSize{gsm7.GSM7, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gsm7.MeasureSMS(tt.s); got != tt.want {
				t.Errorf("MeasureSMS = %+v, want %+v", got, tt.want)
			}
		})
	}
}
