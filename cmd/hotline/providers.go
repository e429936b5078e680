package main

import (
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/kannel"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sip"
	"github.com/numerovert/hotline/gateway/twilio"
)

// providers are the wire formats this binary speaks: the one list a new
// provider is added to (besides its own folder under gateway/).
var providers = provider.List{
	africastalking.Provider,
	twilio.Provider,
	kannel.Provider,
	sip.Provider,
}
