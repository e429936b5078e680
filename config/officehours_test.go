package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/config"
)

func TestOfficeHoursOpen(t *testing.T) {
	bamako := &config.OfficeHours{TimeZone: "Africa/Bamako", Days: []string{"mon", "tue", "wed", "thu", "fri"}, Hours: "08:00-17:00"}
	niamey := &config.OfficeHours{TimeZone: "Africa/Niamey", Days: []string{"mon"}, Hours: "08:00-09:00"} // UTC+1
	monday := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		o    *config.OfficeHours
		at   time.Time
		want bool
	}{
		{"monday morning", bamako, monday.Add(8 * time.Hour), true},
		{"a minute before opening", bamako, monday.Add(7*time.Hour + 59*time.Minute), false},
		{"closing time is closed", bamako, monday.Add(17 * time.Hour), false},
		{"last minute", bamako, monday.Add(16*time.Hour + 59*time.Minute), true},
		{"saturday", bamako, monday.Add(5*24*time.Hour + 10*time.Hour), false},
		{"zone shifts the hours", niamey, monday.Add(7 * time.Hour), true},
		{"zone shifts the hours, closed", niamey, monday.Add(8 * time.Hour), false},
		{"always", &config.OfficeHours{Always: true}, monday.Add(3 * time.Hour), true},
		{"no office hours", nil, monday.Add(10 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.Open(tt.at); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestOfficeHoursErrors(t *testing.T) {
	team := func(oh string) string {
		return base + "teams:\n  - {id: meal, kind: meal, national: true, supervisor: s, office_hours: " + oh + "}\n"
	}
	tests := []struct{ name, oh, want string }{
		{"no zone", `{days: [mon], hours: "08:00-17:00"}`, `x.yaml:4: team "meal": office_hours.time_zone is required`},
		{"unknown zone", `{time_zone: Mali/Mopti, days: [mon], hours: "08:00-17:00"}`, `office_hours.time_zone "Mali/Mopti" is not an IANA time zone`},
		{"bad hours", `{time_zone: Africa/Bamako, days: [mon], hours: "8-17"}`, `office_hours.hours "8-17"`},
		{"reversed hours", `{time_zone: Africa/Bamako, days: [mon], hours: "17:00-08:00"}`, `office_hours.hours "17:00-08:00"`},
		{"no days", `{time_zone: Africa/Bamako, hours: "08:00-17:00"}`, "office_hours.days is empty"},
		{"bad day", `{time_zone: Africa/Bamako, days: [lundi], hours: "08:00-17:00"}`, `"lundi" is not one of mon`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("x.yaml", []byte(team(tt.oh)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := config.Parse("x.yaml", []byte(team(`{time_zone: Africa/Bamako, days: [mon, fri], hours: "08:00-24:00"}`))); err != nil {
		t.Errorf("valid office hours refused: %v", err)
	}
}

func TestExampleOfficeHoursAreBamakos(t *testing.T) {
	cfg, err := config.Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range cfg.Teams {
		if tm.OfficeHours == nil || tm.OfficeHours.TimeZone != "Africa/Bamako" || tm.OfficeHours.Always {
			t.Errorf("team %s: office hours %+v, want Bamako's", tm.ID, tm.OfficeHours)
		}
	}
}
