package hotline_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/numerovert/hotline"

// archRules are the import rules of the "must never" column of
// docs/architecture.md that an import graph can show: a package (its
// dependencies included, tests excluded) must import none of the listed
// prefixes. "module/" means any package of this module.
var archRules = []struct {
	pkg    string
	forbid []string
	why    string
}{
	{"menus", []string{"github.com/gofiber/", "github.com/valyala/", "github.com/redis/", "go.etcd.io/bbolt", "net/http", module + "/gateway", module + "/casework"}, "menus does no I/O beyond loading and knows no HTTP or storage"},
	{"menus/gsm7", []string{module + "/"}, "gsm7 is a leaf"},
	{"casework", []string{"github.com/gofiber/", "github.com/valyala/", "github.com/redis/", "go.etcd.io/bbolt", "net/http", module + "/gateway"}, "casework is the domain: no HTTP, no storage engine, never a number"},
	{"simulator", []string{module + "/"}, "the simulator plays the providers' side over HTTP only"},
	{"outbox", []string{module + "/gateway"}, "the outbox knows no provider package (outbound types live in outbox/outbound)"},
	{"outbox/outbound", []string{module + "/"}, "outbound is a leaf"},
	{"gateway/turn", []string{"github.com/gofiber/", "github.com/redis/", "go.etcd.io/bbolt", module + "/casework", module + "/menus"}, "turn holds channel-neutral types only"},
	{"keystore", []string{module + "/"}, "keystore is a leaf"},
	{"internal/po", []string{module + "/"}, "the PO format is a leaf"},
	{"internal/promptaudio", []string{module + "/"}, "prompt conversion is a leaf"},
	{"internal/reference", []string{module + "/"}, "how a reference is written is a leaf both casework and menus use"},
	{"gateway/provider", []string{"github.com/gofiber/", module + "/gateway/africastalking", module + "/gateway/twilio", module + "/casework", module + "/menus"}, "a descriptor knows config and wire types, never the gateway or another provider"},
	{"gateway/africastalking", []string{"github.com/gofiber/", module + "/gateway/twilio", module + "/casework", module + "/menus"}, "a provider is one folder: it knows no other provider and no gateway"},
	{"gateway/twilio", []string{"github.com/gofiber/", module + "/gateway/africastalking", module + "/casework", module + "/menus"}, "a provider is one folder: it knows no other provider and no gateway"},
	{"gateway", []string{module + "/gateway/africastalking", module + "/gateway/twilio"}, "the gateway takes providers from cmd/hotline's list, it names none"},
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "./"+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps ./%s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestArchImports(t *testing.T) {
	for _, r := range archRules {
		t.Run(r.pkg, func(t *testing.T) {
			self := module + "/" + r.pkg
			ds := deps(t, r.pkg)
			if len(ds) == 0 || ds[len(ds)-1] != self {
				t.Fatalf("go list -deps ./%s did not list the package itself: %v", r.pkg, ds)
			}
			for _, d := range ds {
				if d == self {
					continue
				}
				for _, f := range r.forbid {
					if d == f || strings.HasPrefix(d, f) && (strings.HasSuffix(f, "/") || strings.HasPrefix(d, f+"/")) {
						t.Errorf("%s imports %s (%s)", self, d, r.why)
					}
				}
			}
		})
	}
}
