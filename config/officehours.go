package config

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // office hours name a zone (Africa/Bamako) that a slim host may lack
)

// OfficeHours are when a team's officers take live calls (issue #16,
// "talk to a person"): the days and the local hours in the team's time
// zone. Always is for the demo and for teams that staff a line round the
// clock. A team without office hours takes no live call.
type OfficeHours struct {
	Always bool `yaml:"always"`
	// TimeZone is an IANA zone, e.g. Africa/Bamako (UTC all year).
	TimeZone string `yaml:"time_zone"`
	// Days are the open days: mon, tue, wed, thu, fri, sat, sun.
	Days []string `yaml:"days"`
	// Hours are the local opening hours, "08:00-17:00".
	Hours string `yaml:"hours"`
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Open reports whether t falls within the office hours; a malformed
// setting (refused by Validate) is closed.
func (o *OfficeHours) Open(t time.Time) bool {
	if o == nil {
		return false
	}
	if o.Always {
		return true
	}
	loc, from, to, err := o.parse()
	if err != nil {
		return false
	}
	local := t.In(loc)
	day := false
	for _, d := range o.Days {
		day = day || weekdays[strings.ToLower(d)] == local.Weekday()
	}
	minute := local.Hour()*60 + local.Minute()
	return day && minute >= from && minute < to
}

func (o *OfficeHours) parse() (loc *time.Location, from, to int, err error) {
	if strings.TrimSpace(o.TimeZone) == "" {
		return nil, 0, 0, fmt.Errorf("office_hours.time_zone is required (e.g. Africa/Bamako)")
	}
	if loc, err = time.LoadLocation(o.TimeZone); err != nil {
		return nil, 0, 0, fmt.Errorf("office_hours.time_zone %q is not an IANA time zone", o.TimeZone)
	}
	a, b, ok := strings.Cut(o.Hours, "-")
	var ta, tb time.Time
	var errA, errB error
	if ok {
		ta, errA = time.Parse("15:04", strings.TrimSpace(a))
		tb, errB = time.Parse("15:04", strings.TrimSpace(b))
	}
	from, to = ta.Hour()*60+ta.Minute(), tb.Hour()*60+tb.Minute()
	if strings.TrimSpace(b) == "24:00" && errA == nil {
		to, errB = 24*60, nil
	}
	if !ok || errA != nil || errB != nil || from >= to {
		return nil, 0, 0, fmt.Errorf("office_hours.hours %q: want \"HH:MM-HH:MM\", e.g. \"08:00-17:00\"", o.Hours)
	}
	return loc, from, to, nil
}

// Validate lists what is wrong with the office hours.
func (o *OfficeHours) Validate() []string {
	if o == nil || o.Always {
		return nil
	}
	var problems []string
	if _, _, _, err := o.parse(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(o.Days) == 0 {
		problems = append(problems, "office_hours.days is empty: list the open days (mon … sun) or set always: true")
	}
	for _, d := range o.Days {
		if _, ok := weekdays[strings.ToLower(d)]; !ok {
			problems = append(problems, fmt.Sprintf("office_hours.days: %q is not one of mon, tue, wed, thu, fri, sat, sun", d))
		}
	}
	return problems
}
