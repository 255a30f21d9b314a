package region

import "time"

// Indonesia's three time zones. None keeps daylight saving, so fixed
// offsets are exact, need no tzdata on the machine, and are safe inside
// workflow code.
var (
	WIB  = time.FixedZone("WIB", 7*60*60)
	WITA = time.FixedZone("WITA", 8*60*60)
	WIT  = time.FixedZone("WIT", 9*60*60)
)

// zoneOfProvince is the time zone of each province, by its Kemendagri code
// (Keppres 41/1987): Sumatra, Java and West and Central Kalimantan keep
// WIB; Bali, Nusa Tenggara, South, East and North Kalimantan and Sulawesi
// WITA; Maluku and Papua WIT.
var zoneOfProvince = map[string]*time.Location{
	"11": WIB, "12": WIB, "13": WIB, "14": WIB, "15": WIB, "16": WIB, "17": WIB, "18": WIB, "19": WIB, "21": WIB,
	"31": WIB, "32": WIB, "33": WIB, "34": WIB, "35": WIB, "36": WIB,
	"51": WITA, "52": WITA, "53": WITA,
	"61": WIB, "62": WIB, "63": WITA, "64": WITA, "65": WITA,
	"71": WITA, "72": WITA, "73": WITA, "74": WITA, "75": WITA, "76": WITA,
	"81": WIT, "82": WIT,
	"91": WIT, "92": WIT, "93": WIT, "94": WIT, "95": WIT, "96": WIT,
}

// Zone is the time zone of the region with that code (any level): the
// clock its people's "today" and every date shown to them follow. A code
// of no known province gets WITA, Kalimantan Timur's.
func Zone(code string) *time.Location {
	if len(code) >= 2 {
		if z, ok := zoneOfProvince[code[:2]]; ok {
			return z
		}
	}
	return WITA
}

// Today is the date at t in the region with that code, as YYYY-MM-DD.
func Today(code string, t time.Time) string { return t.In(Zone(code)).Format(time.DateOnly) }
