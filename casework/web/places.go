package web

import "github.com/numerovert/hotline/menus"

// Place is an administrative area by its OCHA P-code, as the menus'
// catalogue read it from locales/places.csv.
type Place = menus.Place

// placeName names a P-code, or returns it as is.
func (w *Web) placeName(code string) string {
	if p, ok := w.places[code]; ok {
		return p.Name
	}
	return code
}

// localityName names a locality's code (config `localities`, through the
// catalogue), "" when the caller was not asked, and the code itself
// ("unknown" included) when the deployment no longer lists it.
func (w *Web) localityName(code string) string {
	if code == "" {
		return ""
	}
	return w.placeName(code)
}
