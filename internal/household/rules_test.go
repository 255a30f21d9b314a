package household_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

var asOf = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func member(nik, birth string, rel household.Relation, occ household.Occupation) household.Member {
	return household.Member{NIK: nik, Name: "x", Relation: rel, BirthDate: birth, Sex: household.Male, Education: household.EduPrimary, Occupation: occ}
}

// family returns n members: a head of 40 and children of 10.
func family(n int) []household.Member {
	ms := []household.Member{member("6408010101860001", "1986-01-01", household.RelationHead, household.OccFarmer)}
	for i := 1; i < n; i++ {
		ms = append(ms, member("640801010116000"+string(rune('1'+i)), "2016-01-01", household.RelationChild, household.OccStudent))
	}
	return ms
}

func TestRecommendationAtThePovertyLines(t *testing.T) {
	r := household.DefaultRules() // 11,941 extreme, 15,750 poor, 30-day month
	line := func(perDay int64, members int) int64 { return perDay * int64(members) * 30 }
	tests := []struct {
		name    string
		monthly int64
		members int
		want    household.VerificationOutcome
	}{
		{"one rupiah under the extreme line", line(11_941, 4) - 1, 4, household.ExtremePoor},
		{"exactly at the extreme line", line(11_941, 4), 4, household.Poor},
		{"one rupiah under the poverty line", line(15_750, 4) - 1, 4, household.Poor},
		{"exactly at the poverty line", line(15_750, 4), 4, household.NotPoor},
		{"nothing spent", 0, 3, household.ExtremePoor},
		{"single person just under", line(11_941, 1) - 1, 1, household.ExtremePoor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := household.Survey{Members: family(tt.members), MonthlyExpenditure: tt.monthly}
			got := r.Recommend(s, asOf)
			if got.Outcome != tt.want {
				t.Fatalf("Recommend(%d for %d people) = %s (per capita %d), want %s", tt.monthly, tt.members, got.Outcome, got.PerCapitaDaily, tt.want)
			}
		})
	}
}

func TestExclusionFlagsOverrideSpending(t *testing.T) {
	r := household.DefaultRules()
	tests := []struct {
		name   string
		assets household.Assets
		occ    household.Occupation
		want   []string
	}{
		{"none", household.Assets{Motorbikes: 1, LandAreaM2: 5_000}, household.OccFarmer, nil},
		{"a car", household.Assets{Cars: 1}, household.OccFarmer, []string{household.FlagCar}},
		{"two motorbikes", household.Assets{Motorbikes: 2}, household.OccFarmer, []string{household.FlagMotorbikes}},
		{"land above the threshold", household.Assets{LandAreaM2: 5_001}, household.OccFarmer, []string{household.FlagLargeLand}},
		{"a civil servant", household.Assets{}, household.OccCivilServant, []string{household.FlagFormalIncome}},
		{"several, sorted", household.Assets{Cars: 1, Motorbikes: 3}, household.OccFormal, []string{household.FlagCar, household.FlagFormalIncome, household.FlagMotorbikes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := household.Survey{Members: family(2), MonthlyExpenditure: 1, Assets: tt.assets}
			s.Members[0].Occupation = tt.occ
			got := r.Recommend(s, asOf)
			if !reflect.DeepEqual(got.Flags, tt.want) {
				t.Fatalf("flags %v, want %v", got.Flags, tt.want)
			}
			if want := household.ExtremePoor; len(tt.want) > 0 {
				want = household.NotPoor
				if got.Outcome != want {
					t.Fatalf("outcome %s with flags, want %s", got.Outcome, want)
				}
			}
		})
	}
}

func TestRecommendPrograms(t *testing.T) {
	idleAdult := member("6408010101900003", "1990-01-01", household.RelationOther, household.OccNone)
	elder := member("6408010101500004", "1950-01-01", household.RelationParent, household.OccNone)
	tests := []struct {
		name string
		edit func(*household.Survey)
		want []household.Program
	}{
		{"children, no programs, poor house, no power",
			func(s *household.Survey) {
				s.Housing = household.Housing{Floor: "earth", Wall: "bamboo", Roof: "thatch", Electricity: "none"}
			},
			[]household.Program{household.ProgramPKH, household.ProgramSembako, household.ProgramPBIJKN, household.ProgramBLTDanaDesa, household.ProgramRTLH, household.ProgramCSR}},
		{"already on PKH and Sembako, insured",
			func(s *household.Survey) {
				s.Programs = []household.Program{household.ProgramPKH, household.ProgramSembako}
				s.OtherHealthInsurance = true
			}, nil},
		{"an idle adult, no children",
			func(s *household.Survey) {
				s.Members = []household.Member{family(1)[0], idleAdult}
				s.Programs = []household.Program{household.ProgramSembako, household.ProgramPBIJKN}
			},
			[]household.Program{household.ProgramJobTraining}},
		{"an elder of 76",
			func(s *household.Survey) {
				s.Members = []household.Member{family(1)[0], elder}
				s.Programs = []household.Program{household.ProgramSembako, household.ProgramPBIJKN}
			},
			[]household.Program{household.ProgramPKH}},
		{"one poor part of the house is not RTLH",
			func(s *household.Survey) {
				s.Members = family(1)
				s.Housing = household.Housing{Floor: "earth", Wall: "brick", Roof: "zinc"}
				s.Programs = []household.Program{household.ProgramSembako, household.ProgramPBIJKN}
			}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := household.Survey{Members: family(3), Housing: household.Housing{Floor: "cement", Wall: "brick", Roof: "zinc", Electricity: "pln_450"}}
			tt.edit(&s)
			if got := household.RecommendPrograms(s, asOf); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("programs %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAgeCountsWholeYears(t *testing.T) {
	m := household.Member{BirthDate: "2008-11-30"}
	if got := m.Age(asOf); got != 17 {
		t.Fatalf("a day before the 18th birthday: age %d", got)
	}
	m.BirthDate = "2008-11-29"
	if got := m.Age(asOf); got != 18 {
		t.Fatalf("on the 18th birthday: age %d", got)
	}
}
