package household

import (
	"fmt"
	"slices"
	"time"
)

// MaxRupiah is the ceiling for any money field: one trillion rupiah is far
// beyond any household figure and keeps sums far from int64 overflow.
const MaxRupiah int64 = 1_000_000_000_000

// Survey is the household survey collected by the caseworker.
type Survey struct {
	Members []Member `json:"members"`
	// MonthlyExpenditure and MonthlyIncome are whole-household rupiah per month.
	MonthlyExpenditure int64    `json:"monthlyExpenditure"`
	MonthlyIncome      int64    `json:"monthlyIncome"`
	IncomeSources      []string `json:"incomeSources,omitempty"`
	Housing            Housing  `json:"housing"`
	Assets             Assets   `json:"assets"`
	// Programs already received.
	Programs []Program `json:"programs,omitempty"`
	// OtherHealthInsurance is true when the household has health cover other than PBI-JKN.
	OtherHealthInsurance bool `json:"otherHealthInsurance,omitempty"`
	// Evidence is the house's photo and the device's position at the survey.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Member is one person on the family card.
type Member struct {
	NIK        string     `json:"nik"`
	Name       string     `json:"name"`
	Relation   Relation   `json:"relation"`
	BirthDate  string     `json:"birthDate"` // YYYY-MM-DD
	Sex        Sex        `json:"sex"`
	Education  Education  `json:"education"`
	Occupation Occupation `json:"occupation"`
	Disability bool       `json:"disability,omitempty"`
}

// Relation to the head of household.
type Relation string

// Relations.
const (
	RelationHead   Relation = "head"
	RelationSpouse Relation = "spouse"
	RelationChild  Relation = "child"
	RelationParent Relation = "parent"
	RelationOther  Relation = "other"
)

// Relations lists every relation.
var Relations = []Relation{RelationHead, RelationSpouse, RelationChild, RelationParent, RelationOther}

// Sex as recorded on the KTP.
type Sex string

// Sexes.
const (
	Male   Sex = "M"
	Female Sex = "F"
)

// Sexes lists both sexes.
var Sexes = []Sex{Male, Female}

// Education is the highest level completed.
type Education string

// Education levels.
const (
	EduNone     Education = "none"
	EduPrimary  Education = "sd"
	EduJunior   Education = "smp"
	EduSenior   Education = "sma"
	EduTertiary Education = "tertiary"
)

// Educations lists every education level, lowest first.
var Educations = []Education{EduNone, EduPrimary, EduJunior, EduSenior, EduTertiary}

// Occupation is a member's main work.
type Occupation string

// Occupations. Formal ones count as an exclusion flag.
const (
	OccNone          Occupation = "none"
	OccStudent       Occupation = "student"
	OccFarmer        Occupation = "farmer"
	OccFisher        Occupation = "fisher"
	OccLaborer       Occupation = "laborer"
	OccInformalTrade Occupation = "informal_trade"
	OccFormal        Occupation = "formal_employee"
	OccCivilServant  Occupation = "civil_servant"
	OccOther         Occupation = "other"
)

// Occupations lists every occupation.
var Occupations = []Occupation{OccNone, OccStudent, OccFarmer, OccFisher, OccLaborer, OccInformalTrade, OccFormal, OccCivilServant, OccOther}

// Housing describes the dwelling.
type Housing struct {
	Floor       string `json:"floor"`       // earth, bamboo, wood, cement, ceramic
	Wall        string `json:"wall"`        // bamboo, wood, unplastered, brick
	Roof        string `json:"roof"`        // thatch, zinc, tile, concrete
	Water       string `json:"water"`       // unprotected, protected_well, piped, bottled
	Sanitation  string `json:"sanitation"`  // none, shared, private
	Electricity string `json:"electricity"` // none, non_pln, pln_450, pln_900, pln_above_900
}

// Housing enumerations, exact.
var (
	Floors        = []string{"earth", "bamboo", "wood", "cement", "ceramic"}
	Walls         = []string{"bamboo", "wood", "unplastered", "brick"}
	Roofs         = []string{"thatch", "zinc", "tile", "concrete"}
	Waters        = []string{"unprotected", "protected_well", "piped", "bottled"}
	Sanitations   = []string{"none", "shared", "private"}
	Electricities = []string{"none", "non_pln", "pln_450", "pln_900", "pln_above_900"}
)

// Assets the household owns.
type Assets struct {
	LandAreaM2 int64 `json:"landAreaM2"`
	Motorbikes int   `json:"motorbikes"`
	Cars       int   `json:"cars"`
	Livestock  int   `json:"livestock"`
}

// Program is a social-assistance program.
type Program string

// Programs.
const (
	ProgramPKH         Program = "pkh"
	ProgramSembako     Program = "sembako"
	ProgramPBIJKN      Program = "pbi_jkn"
	ProgramBLTDanaDesa Program = "blt_dana_desa"
	ProgramRTLH        Program = "rtlh"
	ProgramJobTraining Program = "job_training"
	ProgramCSR         Program = "csr"
)

// Programs lists every program; ReceivablePrograms those a survey may record
// as already received.
var (
	Programs           = []Program{ProgramPKH, ProgramSembako, ProgramPBIJKN, ProgramBLTDanaDesa, ProgramRTLH, ProgramJobTraining, ProgramCSR}
	ReceivablePrograms = []Program{ProgramPKH, ProgramSembako, ProgramPBIJKN, ProgramBLTDanaDesa}
)

// MaxMembers bounds a survey's member list, MaxIncomeSources its income
// sources.
const (
	MaxMembers       = 30
	MaxIncomeSources = 10
)

// Validate checks a survey taken on day asOf.
func (s Survey) Validate(asOf time.Time) error {
	var fe FieldErrors
	if len(s.Members) == 0 || len(s.Members) > MaxMembers {
		fe.Add("members", "must list between 1 and %d members", MaxMembers)
	}
	heads := 0
	seen := map[string]bool{}
	// Past a list's bound its entries are not checked one by one: an
	// answer naming each of thousands would itself be the burden.
	for i, m := range s.Members[:min(len(s.Members), MaxMembers)] {
		p := fmt.Sprintf("members[%d].", i)
		if _, err := ParseNIK(m.NIK); err != nil {
			fe.Add(p+"nik", "%v", err)
		} else if seen[m.NIK] {
			fe.Add(p+"nik", "appears twice in the household")
		}
		seen[m.NIK] = true
		fe.Text(p+"name", m.Name, MaxName)
		Enum(&fe, p+"relation", m.Relation, Relations)
		if m.Relation == RelationHead {
			heads++
		}
		if d, err := ParseDate(m.BirthDate); err != nil {
			fe.Add(p+"birthDate", "%v", err)
		} else if m.BirthDate > day(asOf) || d.Year() < 1900 {
			fe.Add(p+"birthDate", "must be between 1900-01-01 and today")
		}
		Enum(&fe, p+"sex", m.Sex, Sexes)
		Enum(&fe, p+"education", m.Education, Educations)
		Enum(&fe, p+"occupation", m.Occupation, Occupations)
	}
	if len(s.Members) > 0 && heads != 1 {
		fe.Add("members", "must have exactly one member with relation head")
	}
	fe.Money("monthlyExpenditure", s.MonthlyExpenditure)
	fe.Money("monthlyIncome", s.MonthlyIncome)
	if len(s.IncomeSources) > MaxIncomeSources {
		fe.Add("incomeSources", "at most %d entries", MaxIncomeSources)
	}
	for i, src := range s.IncomeSources[:min(len(s.IncomeSources), MaxIncomeSources)] {
		fe.Text(fmt.Sprintf("incomeSources[%d]", i), src, MaxName)
	}
	Enum(&fe, "housing.floor", s.Housing.Floor, Floors)
	Enum(&fe, "housing.wall", s.Housing.Wall, Walls)
	Enum(&fe, "housing.roof", s.Housing.Roof, Roofs)
	Enum(&fe, "housing.water", s.Housing.Water, Waters)
	Enum(&fe, "housing.sanitation", s.Housing.Sanitation, Sanitations)
	Enum(&fe, "housing.electricity", s.Housing.Electricity, Electricities)
	if s.Assets.LandAreaM2 < 0 || s.Assets.LandAreaM2 > 100_000_000 {
		fe.Add("assets.landAreaM2", "must be between 0 and %d", 100_000_000)
	}
	for field, n := range map[string]int{"assets.motorbikes": s.Assets.Motorbikes, "assets.cars": s.Assets.Cars, "assets.livestock": s.Assets.Livestock} {
		if n < 0 || n > 10_000 {
			fe.Add(field, "must be between 0 and %d", 10_000)
		}
	}
	if len(s.Programs) > len(ReceivablePrograms) {
		fe.Add("programs", "at most %d entries, each program once", len(ReceivablePrograms))
	}
	for i, p := range s.Programs[:min(len(s.Programs), len(ReceivablePrograms))] {
		f := fmt.Sprintf("programs[%d]", i)
		Enum(&fe, f, p, ReceivablePrograms)
		if slices.Contains(s.Programs[:i], p) {
			fe.Add(f, "listed twice")
		}
	}
	s.Evidence.check(&fe, "evidence.")
	sortFieldErrors(fe)
	return fe.Err()
}

// Age returns a member's age in whole years on day asOf, or -1 if the birth
// date does not parse.
func (m Member) Age(asOf time.Time) int {
	b, err := ParseDate(m.BirthDate)
	if err != nil {
		return -1
	}
	age := asOf.Year() - b.Year()
	if asOf.Month() < b.Month() || (asOf.Month() == b.Month() && asOf.Day() < b.Day()) {
		age--
	}
	return age
}

// Receives reports whether the survey records program p as already received.
func (s Survey) Receives(p Program) bool { return OneOf(p, s.Programs) }

// SurveyInput submits or saves the household survey.
type SurveyInput struct {
	Survey Survey `json:"survey"`
	// Draft keeps the case collecting so the survey can be resubmitted;
	// otherwise the case moves on to village review.
	Draft bool `json:"draft,omitempty"`
}

// CheckSurvey answers whether a may submit in.
func (c *Case) CheckSurvey(a Actor, in SurveyInput, now time.Time) error {
	if err := c.gateSurvey(a); err != nil {
		return err
	}
	if in.Draft && c.Drafts >= MaxDrafts {
		return Errorf(CodeConflict, "the survey has been saved as a draft %d times; submit it", MaxDrafts)
	}
	return in.Validate(c.Local(now))
}

// gateSurvey is CheckSurvey without the input (see Allowed).
func (c *Case) gateSurvey(a Actor) error {
	if err := c.may(a, "survey", ActSurvey.Roles()...); err != nil {
		return err
	}
	if err := c.inStage("survey", StageCollecting); err != nil {
		return err
	}
	return c.roomFor("survey", 1)
}

// Validate checks what the input carries on day now, whatever the case.
func (in SurveyInput) Validate(now time.Time) error { return in.Survey.Validate(now) }

// SubmitSurvey records the survey and its recommendation.
func (c *Case) SubmitSurvey(a Actor, in SurveyInput, now time.Time) []Event {
	s := in.Survey
	rec := c.Rules.Recommend(s, c.Local(now))
	c.Survey, c.Recommendation = &s, &rec
	const summary = "%d members, recommendation %s"
	if in.Draft {
		c.Drafts++
		e := c.event(now, a, EventSurveySaved, summary, len(s.Members), rec.Outcome)
		e.Evidence = evidenceOf(s.Evidence)
		return c.commit(now, e)
	}
	e := c.event(now, a, EventSurveySubmitted, summary, len(s.Members), rec.Outcome)
	e.Evidence = evidenceOf(s.Evidence)
	c.enter(StageVillageReview, now)
	return c.commit(now, e)
}
