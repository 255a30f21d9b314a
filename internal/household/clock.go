package household

import (
	"time"

	"github.com/tuntas-id/tuntas/internal/region"
)

// Local is t on the case's own clock, its region's time zone (Kutai
// Timur: WITA, UTC+8). A date a person types (a musdes, a visit, a birth)
// is a date of that clock: judged on UTC's, a visit recorded before 08:00
// WITA on the phone's own date was "in the future". Instants are recorded
// as they are; only days are judged and shown on this clock.
func (c *Case) Local(t time.Time) time.Time { return t.In(region.Zone(c.VillageCode)) }

// day is t's date on t's own clock, as YYYY-MM-DD.
func day(t time.Time) string { return t.Format(time.DateOnly) }
