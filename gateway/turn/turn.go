// Package turn holds the channel-neutral shapes that provider adapters
// produce and consume, so that the gateway speaks one language whatever
// the aggregator.
//
// The raw phone number travels in these values for the length of one
// request only. Nothing here may be logged, stored or put in an error.
package turn

// USSD is one hop of a USSD session as a provider delivered it.
type USSD struct {
	SessionID   string
	Phone       string // raw, as the provider sent it; never leaves the gateway
	Text        string // the provider's text field, unsplit
	ServiceCode string
	NetworkCode string
}

// USSDEnd is a provider's notice that a USSD session is over, whether the
// caller reached an end screen or the network dropped them.
type USSDEnd struct {
	SessionID string
	Status    string // as the provider words it, e.g. "Incomplete", "Success", "Failed"
	// Phone is the number the session was opened from, raw; never leaves
	// the gateway. A session is found only with the number that opened it.
	Phone string
}

// Reply is what the caller sees next.
type Reply struct {
	Text string `json:"text"`
	End  bool   `json:"end,omitempty"` // the session closes after this screen
}

// BadRequest is a callback the gateway refuses with a 4xx and no state
// change. Reason is short and safe to show and log: it never quotes the
// request.
type BadRequest struct {
	Reason string
}

func (e *BadRequest) Error() string { return e.Reason }
