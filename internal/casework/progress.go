package casework

import (
	"context"

	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
)

// ProgressReader reads the monthly progress points of regions (see
// store.Store.ProgressOf).
type ProgressReader interface {
	ProgressOf(ctx context.Context, regions []string) ([]report.Point, error)
}

// ProgressLines are the monthly points of a region and of each region one
// level under it, for the trend to zero on the dashboard.
type ProgressLines struct {
	Region report.Area `json:"region"`
	// Areas are the region's own line first, then each area under it.
	Areas  []AreaLine `json:"areas"`
	Months []string   `json:"months"`
}

// AreaLine is one area's points, one per month of ProgressLines.Months
// (a zero point where the area had no case yet).
type AreaLine struct {
	Code   string         `json:"code"`
	Name   string         `json:"name"`
	Points []report.Point `json:"points"`
}

// Progress is the progress over time of who's region (a supervisor's
// regency and each kecamatan; the province and each regency): who may read
// it is who may read the dashboard.
func (s *Service) Progress(ctx context.Context, who Caller) (ProgressLines, error) {
	p := who.Principal
	if !p.Can(dashboardRoles...) {
		return ProgressLines{}, errRole()
	}
	pr, ok := s.store.(ProgressReader)
	if !ok {
		return ProgressLines{}, refusef(CodeUnavailable, "progress over time is not available on this server")
	}
	own, ok := region.Lookup(p.Region)
	if !ok {
		return ProgressLines{}, errRole()
	}
	codes := []string{own.Code}
	names := map[string]string{own.Code: own.Name}
	if own.Level == region.Province || own.Level == region.Regency {
		for _, c := range region.Children(own.Code) {
			codes = append(codes, c.Code)
			names[c.Code] = c.Name
		}
	}
	points, err := pr.ProgressOf(ctx, codes)
	if err != nil {
		return ProgressLines{}, err
	}
	out := ProgressLines{Region: report.Area{Code: own.Code, Name: own.Name}}
	byArea := map[string]map[string]report.Point{}
	for _, pt := range points {
		if len(out.Months) == 0 || out.Months[len(out.Months)-1] != pt.Month {
			out.Months = append(out.Months, pt.Month)
		}
		if byArea[pt.Region] == nil {
			byArea[pt.Region] = map[string]report.Point{}
		}
		byArea[pt.Region][pt.Month] = pt
	}
	for _, code := range codes {
		got, ok := byArea[code]
		if !ok {
			continue
		}
		line := AreaLine{Code: code, Name: names[code]}
		for _, m := range out.Months {
			pt, ok := got[m]
			if !ok {
				pt = report.Point{Region: code, Month: m}
			}
			line.Points = append(line.Points, pt)
		}
		out.Areas = append(out.Areas, line)
	}
	return out, nil
}
