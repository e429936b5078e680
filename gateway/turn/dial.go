package turn

// Dial bridges a call the hotline placed (to an officer) to the caller
// who asked to be called back: Twilio's <Dial>, Africa's Talking's Dial.
// Number is the caller's number in E.164: only the provider is told it,
// in the reply, never a log or a session.
type Dial struct {
	Number   string
	CallerID string // the hotline's number, presented to the caller
	// Action is where the provider posts how the bridged leg ended
	// (Twilio's DialCallStatus, DialCallDuration); Africa's Talking
	// reports it at the end of the call instead.
	Action string
	// Screen, when set, is played to the caller when they answer, before
	// the two are connected (Twilio's <Number url>): the introduction and,
	// for sensitive cases, "is it safe to talk now? press 1".
	Screen  string
	Timeout int // seconds the caller's phone rings
	// MaxDuration bounds the bridged call, in seconds.
	MaxDuration int
}

// OutboundCall is one call the hotline asks a provider to place.
type OutboundCall struct {
	To, From string // E.164
	// AnswerURL is where the provider fetches what to do once answered
	// (Twilio); Africa's Talking calls the number's own voice URL.
	AnswerURL string
	// StatusURL gets the call's final status (Twilio StatusCallback).
	StatusURL string
	// RequestID is the hotline's id of the attempt (AT clientRequestId,
	// Idempotency-Key for fakes).
	RequestID string
	Timeout   int // seconds to ring
}
