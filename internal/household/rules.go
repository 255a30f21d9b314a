package household

import (
	"sort"
	"time"
)

// Rules are the configurable thresholds of the recommendation.
type Rules struct {
	// Year the lines apply to, for the record.
	Year int `json:"year"`
	// ExtremeLine is the extreme-poverty line in rupiah per capita per day:
	// a household spending below it is recommended extreme_poor.
	ExtremeLine int64 `json:"extremeLine"`
	// PoorLine is the poverty line in rupiah per capita per day: at or above
	// ExtremeLine but below PoorLine is poor; at or above it, not_poor.
	PoorLine int64 `json:"poorLine"`
	// LandThresholdM2 is the land area above which a household is flagged.
	LandThresholdM2 int64 `json:"landThresholdM2"`
	// DaysPerMonth converts monthly expenditure to daily.
	DaysPerMonth int64 `json:"daysPerMonth"`
}

// DefaultRules returns the 2021 lines: Rp 11,941 per capita per day for
// extreme poverty ($1.90 PPP) and the national line of Rp 472,525 per capita
// per month (March 2021, about Rp 15,750 a day), land above 5,000 m², and a
// 30-day month.
func DefaultRules() Rules {
	return Rules{Year: 2021, ExtremeLine: 11_941, PoorLine: 15_750, LandThresholdM2: 5_000, DaysPerMonth: 30}
}

// Exclusion flags that mark a household as not poor whatever its spending.
const (
	FlagCar          = "car"
	FlagMotorbikes   = "two_or_more_motorbikes"
	FlagLargeLand    = "large_land"
	FlagFormalIncome = "formal_sector_income"
)

// Recommendation is what the rules suggest before the verifier decides.
type Recommendation struct {
	Outcome VerificationOutcome `json:"outcome"`
	// PerCapitaDaily is monthly expenditure / members / DaysPerMonth, rounded down.
	PerCapitaDaily int64     `json:"perCapitaDaily"`
	ExtremeLine    int64     `json:"extremeLine"`
	PoorLine       int64     `json:"poorLine"`
	Flags          []string  `json:"flags,omitempty"`
	Programs       []Program `json:"programs,omitempty"`
}

// Recommend computes the recommendation for a survey taken on day asOf.
// Comparisons are exact integer arithmetic: expenditure < line × members × days.
func (r Rules) Recommend(s Survey, asOf time.Time) Recommendation {
	n := int64(len(s.Members))
	if n == 0 {
		n = 1
	}
	rec := Recommendation{
		PerCapitaDaily: s.MonthlyExpenditure / (n * r.DaysPerMonth),
		ExtremeLine:    r.ExtremeLine,
		PoorLine:       r.PoorLine,
		Flags:          r.ExclusionFlags(s),
	}
	switch {
	case len(rec.Flags) > 0:
		rec.Outcome = NotPoor
	case r.Below(s.MonthlyExpenditure, int64(len(s.Members)), r.ExtremeLine):
		rec.Outcome = ExtremePoor
	case r.Below(s.MonthlyExpenditure, int64(len(s.Members)), r.PoorLine):
		rec.Outcome = Poor
	default:
		rec.Outcome = NotPoor
	}
	if rec.Outcome != NotPoor {
		rec.Programs = RecommendPrograms(s, asOf)
	}
	return rec
}

// Below reports whether a household of members people spending monthly
// rupiah a month lies below line rupiah per capita per day.
func (r Rules) Below(monthly, members, line int64) bool {
	if members <= 0 {
		members = 1
	}
	return monthly < line*members*r.DaysPerMonth
}

// ExclusionFlags lists, sorted, the asset and income facts that mark a
// household as not poor.
func (r Rules) ExclusionFlags(s Survey) []string {
	var flags []string
	if s.Assets.Cars > 0 {
		flags = append(flags, FlagCar)
	}
	if s.Assets.Motorbikes >= 2 {
		flags = append(flags, FlagMotorbikes)
	}
	if s.Assets.LandAreaM2 > r.LandThresholdM2 {
		flags = append(flags, FlagLargeLand)
	}
	for _, m := range s.Members {
		if m.Occupation == OccFormal || m.Occupation == OccCivilServant {
			flags = append(flags, FlagFormalIncome)
			break
		}
	}
	sort.Strings(flags)
	return flags
}

// Agency codes that deliver programs.
const (
	AgencyDinsos        = "dinsos"
	AgencyDisnakertrans = "disnakertrans"
	AgencyDisperkim     = "disperkim"
	AgencyPemdes        = "pemdes"
	AgencyBaznas        = "baznas"
	AgencyCSR           = "csr"
)

// Agencies lists the agency codes that may be assigned programs.
var Agencies = []string{AgencyBaznas, AgencyCSR, AgencyDinsos, AgencyDisnakertrans, AgencyDisperkim, AgencyPemdes}

// DefaultAgency is the agency that usually delivers each program.
var DefaultAgency = map[Program]string{
	ProgramPKH:         AgencyDinsos,
	ProgramSembako:     AgencyDinsos,
	ProgramPBIJKN:      AgencyDinsos,
	ProgramBLTDanaDesa: AgencyPemdes,
	ProgramRTLH:        AgencyDisperkim,
	ProgramJobTraining: AgencyDisnakertrans,
	ProgramCSR:         AgencyCSR,
}

// RecommendPrograms suggests programs the household does not yet receive,
// in the fixed order of Programs:
//   - PKH with a child under 18, an elder of 60 or more, or a disabled member;
//   - Sembako for every household not yet receiving it;
//   - PBI-JKN without health insurance;
//   - RTLH when at least two of floor, wall and roof are of the lowest kinds;
//   - job training for a working-age member (18–59) without work;
//   - BLT Dana Desa when neither PKH nor Sembako is received;
//   - CSR (a company's electricity connection) without electricity.
func RecommendPrograms(s Survey, asOf time.Time) []Program {
	var children, elders, disabled, idleAdults int
	for _, m := range s.Members {
		age := m.Age(asOf)
		switch {
		case age >= 0 && age < 18:
			children++
		case age >= 60:
			elders++
		}
		if m.Disability {
			disabled++
		}
		if age >= 18 && age < 60 && m.Occupation == OccNone {
			idleAdults++
		}
	}
	poorParts := 0
	if s.Housing.Floor == "earth" || s.Housing.Floor == "bamboo" {
		poorParts++
	}
	if s.Housing.Wall == "bamboo" || s.Housing.Wall == "unplastered" {
		poorParts++
	}
	if s.Housing.Roof == "thatch" {
		poorParts++
	}
	want := map[Program]bool{
		ProgramPKH:         children+elders+disabled > 0,
		ProgramSembako:     true,
		ProgramPBIJKN:      !s.OtherHealthInsurance,
		ProgramRTLH:        poorParts >= 2,
		ProgramJobTraining: idleAdults > 0,
		ProgramBLTDanaDesa: !s.Receives(ProgramPKH) && !s.Receives(ProgramSembako),
		ProgramCSR:         s.Housing.Electricity == "none",
	}
	var out []Program
	for _, p := range Programs {
		if want[p] && !s.Receives(p) {
			out = append(out, p)
		}
	}
	return out
}
