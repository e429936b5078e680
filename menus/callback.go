package menus

// Strings heard on a masked call-back (issue #16), spoken by the gateway's
// call-back calls rather than by a menu node. Like the voice strings they
// are fixed here, so the linter knows them and the fallback must hold them.
const (
	CallBackIntro   = "callback.intro"   // to the caller: who is calling, and that the number is hidden
	CallBackSafe    = "callback.safe"    // sensitive cases: is it safe to talk now? press 1
	CallBackLater   = "callback.later"   // anything but 1: end politely
	CallBackOfficer = "callback.officer" // to the officer, before the caller is dialled
)

var callbackStrings = []string{CallBackIntro, CallBackSafe, CallBackLater, CallBackOfficer}

// Clips returns the recordings (or text-to-speech text) of keys in lang,
// each falling back like every voice prompt: for calls the hotline places
// itself, outside any menu.
func (e *Engine) Clips(lang string, keys ...string) []Clip {
	out := make([]Clip, len(keys))
	for i, k := range keys {
		out[i] = e.clip(lang, k)
	}
	return out
}

// Strings of the call-back offer by SMS (issue #16), sent by the gateway
// (gateway/smscallback.go) rather than by a menu node: the sentence added
// to an SMS complaint's reply, and the answer to the call-back keyword.
// {keyword} is the language's first call-back keyword (locales/sms).
const (
	CallBackSMSOffer  = "callback.sms_offer"
	CallBackSMSAgreed = "callback.sms_agreed"
	// PhKeyword is the placeholder of the call-back keyword.
	PhKeyword = "keyword"
)

var smsCallBackStrings = []string{CallBackSMSOffer, CallBackSMSAgreed}
