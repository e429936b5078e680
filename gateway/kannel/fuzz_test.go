package kannel_test

import (
	"testing"

	"github.com/numerovert/hotline/gateway/kannel"
	"github.com/numerovert/hotline/internal/fixture"
)

func FuzzParseSMS(f *testing.F) {
	fixture.FuzzParser(f, "testdata/sms/*.http", kannel.SMS{}.ParseSMS)
}

func FuzzParseReport(f *testing.F) {
	fixture.FuzzParser(f, "testdata/report/*.http", kannel.SMS{}.ParseReport)
}
