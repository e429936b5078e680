package gsm7

// SMS segment sizes (3GPP TS 23.040): a single message carries 140 octets,
// 160 septets or 70 UTF-16 units; a part of a concatenated message loses 6
// octets to the user data header, leaving 153 septets or 67 units.
const (
	SMSSingleGSM7 = 160
	SMSPartGSM7   = 153
	SMSSingleUCS2 = 70
	SMSPartUCS2   = 67
)

// Encoding is the data coding an SMS body needs.
type Encoding string

// The two codings a handset can be relied on to show.
const (
	GSM7 Encoding = "gsm7"
	UCS2 Encoding = "ucs2"
)

// SMSSize is what one SMS body costs on the air.
type SMSSize struct {
	Encoding Encoding
	Units    int // septets (GSM-7, extension characters count 2) or UTF-16 units (UCS-2)
	Segments int // 0 for an empty body
}

// MeasureSMS returns the coding s needs and how many segments it takes.
// One character outside the alphabet switches the whole message to UCS-2.
//
// An extension character (2 septets) is never split across parts by
// senders that follow the standard; the count here ignores that subtlety,
// which can only make a message at a part boundary one segment longer.
func MeasureSMS(s string) SMSSize {
	if n, ok := Septets(s); ok {
		return SMSSize{Encoding: GSM7, Units: n, Segments: segments(n, SMSSingleGSM7, SMSPartGSM7)}
	}
	n := UTF16Len(s)
	return SMSSize{Encoding: UCS2, Units: n, Segments: segments(n, SMSSingleUCS2, SMSPartUCS2)}
}

func segments(units, single, part int) int {
	switch {
	case units == 0:
		return 0
	case units <= single:
		return 1
	default:
		return (units + part - 1) / part
	}
}
