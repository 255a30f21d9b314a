package casework

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

// bnbaRoles may print a village's by-name-by-address list (admin too).
var bnbaRoles = []household.Role{household.RoleVillageOfficer, household.RoleCaseworker, household.RoleSupervisor}

// BNBARoles are the roles (besides admin) that may print the list.
func BNBARoles() []household.Role { return slices.Clone(bnbaRoles) }

// MaxBNBA bounds the households of one list: a village holds far fewer.
const MaxBNBA = 2000

// BNBADownloads are the formats GET /v1/reports/bnba gives the list in;
// BNBAFormats add "print", the console's page.
var (
	BNBADownloads = []string{"json", "csv"}
	BNBAFormats   = append(slices.Clone(BNBADownloads), "print")
)

// BNBAStages are the stages a list may be narrowed to: those of an open
// case.
var BNBAStages = slices.DeleteFunc(slices.Clone(household.Stages), func(s household.Stage) bool { return s == household.StageClosed })

// BNBAQuery asks for a village's list.
type BNBAQuery struct {
	// Village is a village code within the caller's region; "" is the
	// caller's own region when that is a village.
	Village string
	// Stage narrows the list to one stage; "" lists every open case.
	Stage household.Stage
	// Format is one of BNBAFormats ("" is json); the record keeps it.
	Format string
}

// BNBA is a village's by-name-by-address list for its musdes: the
// households ordered by RT, then address, masked for the reader.
type BNBA struct {
	Village     region.Region   `json:"village"`
	District    region.Region   `json:"district"`
	Regency     region.Region   `json:"regency"`
	Stage       household.Stage `json:"stage,omitempty"`
	Rows        []BNBARow       `json:"rows"`
	GeneratedAt time.Time       `json:"generatedAt"`
	// Truncated is set when the village held more than MaxBNBA households.
	Truncated bool `json:"truncated,omitempty"`
}

// BNBARow is one household of the list.
type BNBARow struct {
	CaseID   string          `json:"caseId"`
	KK       string          `json:"kk"`
	HeadNIK  string          `json:"headNik"`
	HeadName string          `json:"headName"`
	Address  string          `json:"address"`
	RT       int             `json:"rt,omitempty"`
	Members  int             `json:"members"`
	Stage    household.Stage `json:"stage"`
	// Recommendation is the rules' finding from the survey, "" before one.
	Recommendation household.VerificationOutcome `json:"recommendation,omitempty"`
}

// rtNumber reads the RT of an address ("RT 03", "Rt.3/RW 1", "rt 003").
var rtNumber = regexp.MustCompile(`(?i)\bRT\.?\s*0*(\d{1,3})\b`)

func rtOf(address string) int {
	if m := rtNumber.FindStringSubmatch(address); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// VillageList is the by-name-by-address list of a village's open cases
// (or those in one stage) for its musdes, masked for who's role as every
// case read is; the print is recorded with every case it shows.
func (s *Service) VillageList(ctx context.Context, who Caller, q BNBAQuery) (BNBA, error) {
	p := who.Principal
	if !p.Can(bnbaRoles...) {
		return BNBA{}, errRole()
	}
	village := q.Village
	if village == "" {
		village = p.Region
	}
	v, ok := region.Lookup(village)
	if !ok || v.Level != region.Village {
		return BNBA{}, invalid(household.NewFieldError("village", "must be a %s code of the registry", region.Village))
	}
	if !region.Within(village, p.Region) {
		return BNBA{}, invalid(household.NewFieldError("village", "lies outside your region %s", p.Region))
	}
	if q.Stage != "" && !household.OneOf(q.Stage, BNBAStages) {
		return BNBA{}, invalid(household.NewFieldError("stage", "must be a stage of an open case"))
	}
	format := q.Format
	if format == "" {
		format = "json"
	}
	if !slices.Contains(BNBAFormats, format) {
		return BNBA{}, invalid(household.NewFieldError("format", "must be one of %v", BNBAFormats))
	}
	f := store.Filter{Scope: p.Region, Village: village, Stage: q.Stage, Status: household.StatusOpen, Limit: MaxLimit}
	out := BNBA{Village: v, Stage: q.Stage, Rows: []BNBARow{}, GeneratedAt: s.now().UTC()}
	out.District, _ = region.Lookup(region.Ancestor(village, region.District))
	out.Regency, _ = region.Lookup(region.Ancestor(village, region.Regency))
	var ids []string
	for {
		page, err := s.store.List(ctx, f)
		if err != nil {
			return BNBA{}, err
		}
		for _, sum := range page.Items {
			if len(out.Rows) == MaxBNBA {
				out.Truncated = true
				break
			}
			c, err := s.store.Case(ctx, sum.ID)
			if err != nil {
				return BNBA{}, fmt.Errorf("village list, case %s: %w", sum.ID, err)
			}
			view := ViewCase(p, c, s.now())
			// The list is printed and read out at a village meeting: KK and
			// NIK are masked whoever prints it (UU 27/2022: no more personal
			// data than the meeting needs to know the household).
			row := BNBARow{CaseID: c.ID, KK: household.MaskNIK(view.KK), HeadNIK: household.MaskNIK(view.HeadNIK), HeadName: view.HeadName, Address: view.Address,
				RT: rtOf(view.Address), Stage: view.Stage}
			if view.Survey != nil {
				row.Members = len(view.Survey.Members)
			}
			if view.Recommendation != nil {
				row.Recommendation = view.Recommendation.Outcome
			}
			out.Rows = append(out.Rows, row)
			ids = append(ids, c.ID)
		}
		if page.Next == "" || out.Truncated {
			break
		}
		f.Cursor = page.Next
	}
	slices.SortStableFunc(out.Rows, func(a, b BNBARow) int {
		// Addresses without an RT go last.
		ra, rb := a.RT, b.RT
		if ra == 0 {
			ra = 1 << 30
		}
		if rb == 0 {
			rb = 1 << 30
		}
		return cmp.Or(cmp.Compare(ra, rb), strings.Compare(strings.ToLower(a.Address), strings.ToLower(b.Address)),
			strings.Compare(a.HeadName, b.HeadName), strings.Compare(a.CaseID, b.CaseID))
	})
	query := "village=" + village + "&format=" + format
	if q.Stage != "" {
		query = "village=" + village + "&stage=" + string(q.Stage) + "&format=" + format
	}
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: query, Rows: len(ids)}); err != nil {
		return BNBA{}, err
	}
	return out, nil
}

// BNBAColumns are the CSV columns of the list.
var BNBAColumns = []string{"no", "village_code", "rt", "address", "head_name", "head_nik", "kk", "members", "stage", "recommendation", "case_id"}

// WriteBNBACSV writes the list as CSV, a row per household in the list's
// order (by RT, then address), masked as the list is.
func WriteBNBACSV(w io.Writer, l BNBA) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(BNBAColumns)
	for i, r := range l.Rows {
		rt := ""
		if r.RT > 0 {
			rt = strconv.Itoa(r.RT)
		}
		_ = cw.Write([]string{strconv.Itoa(i + 1), l.Village.Code, rt, r.Address, r.HeadName, r.HeadNIK, r.KK,
			strconv.Itoa(r.Members), string(r.Stage), string(r.Recommendation), r.CaseID})
	}
	cw.Flush()
	return cw.Error()
}

// BNBAFileName is the download name of the list.
func BNBAFileName(l BNBA) string {
	name := "bnba-" + strings.ReplaceAll(l.Village.Code, ".", "")
	if l.Stage != "" {
		name += "-" + string(l.Stage)
	}
	return name + ".csv"
}
