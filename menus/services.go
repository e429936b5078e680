package menus

import (
	"slices"
	"strings"
)

// Service is one entry of the deployment's referral directory (config
// `referrals:`): a protection, health or legal service a caller who
// reported sexual abuse can reach today, without the hotline in between.
// Name, Offers and Reach are in the caller's language where the deployment
// wrote it, else in the fallback language. Reach is how to reach it: a
// public service number, a place, the days it is open; never a caller's
// number.
type Service struct {
	Name, Offers, Reach string
}

// Directory lists the services for a caller's region and cercle in
// language lang, nearest first. It is read at each end screen, so a
// reloaded configuration shows at once.
type Directory func(region, cercle, lang string) []Service

// WithServices is c with the deployment's referral directory, read by end
// screens whose prompt holds {services}.
func (c *Catalog) WithServices(dir Directory) *Catalog {
	out := *c
	out.services = dir
	return &out
}

// nearestServices lists the services for the place answers in ans.
func (e *Engine) nearestServices(ans map[string]string, lang string) []Service {
	if e.cat.services == nil {
		return nil
	}
	return e.cat.services(ans[e.region], ans[e.cercle], lang)
}

// text is the service as a screen shows it ("Name: reach"), or, full, as
// it is spoken, with what it offers.
func (s Service) text(full bool) string {
	if !full {
		return strings.TrimSpace(s.Name) + ": " + strings.TrimSpace(s.Reach)
	}
	parts := slices.DeleteFunc([]string{strings.TrimSpace(s.Name), strings.TrimSpace(s.Offers), strings.TrimSpace(s.Reach)},
		func(p string) bool { return p == "" })
	return strings.Join(parts, ". ") + "."
}

// servicesScreenText is the first n services, as a screen shows them.
func servicesScreenText(list []Service, n int) string {
	parts := make([]string, 0, min(n, len(list)))
	for _, s := range list[:min(n, len(list))] {
		parts = append(parts, s.text(false))
	}
	return strings.Join(parts, "; ")
}

// placeAnswers keeps only the place answers of ans: what an end screen
// with {services} needs after the submission, nothing the caller said.
func (e *Engine) placeAnswers(ans map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range []string{e.region, e.cercle, e.locality} {
		if v := ans[f]; f != "" && v != "" {
			out[f] = v
		}
	}
	return out
}

// Services lists the referral directory's services for a place in lang,
// nearest first (none without a directory): what an SMS report of sexual
// abuse or danger is answered with, as the menus' end screens are.
func (c *Catalog) Services(region, cercle, lang string) []Service {
	if c.services == nil {
		return nil
	}
	return c.services(region, cercle, lang)
}

// ScreenText is the service as a screen or an SMS shows it: "Name: reach".
func (s Service) ScreenText() string { return s.text(false) }
