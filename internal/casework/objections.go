package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/publications"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// PublicationStore keeps which village lists are posted for objection
// (publications.Store).
type PublicationStore interface {
	Publish(ctx context.Context, p publications.Publication) error
	Publication(ctx context.Context, village string) (publications.Publication, bool, error)
}

var _ PublicationStore = (*publications.Store)(nil)

// publishRoles may post a village's list for objection and print it for
// the village office (admin too); printRoles may print it.
var (
	publishRoles = []household.Role{household.RoleVillageOfficer, household.RoleSupervisor}
	printRoles   = []household.Role{household.RoleVillageOfficer, household.RoleCaseworker, household.RoleSupervisor}
)

// PublishRoles and PrintRoles are the roles (besides admin) that post a
// village's list for objection and that print it.
func PublishRoles() []household.Role { return slices.Clone(publishRoles) }
func PrintRoles() []household.Role   { return slices.Clone(printRoles) }

// Publication periods: 14 days unless the poster says, at most 60.
const (
	DefaultPublicationDays = 14
	MaxPublicationDays     = 60
)

// ObjectionView is an objection as a person is shown it: the household by
// its case and head's name, never its KK.
type ObjectionView struct {
	ID           string                     `json:"id"`
	CaseID       string                     `json:"caseId"`
	HeadName     string                     `json:"headName"`
	VillageCode  string                     `json:"villageCode"`
	DistrictCode string                     `json:"districtCode"`
	RegencyCode  string                     `json:"regencyCode"`
	Relation     household.ObjectorRelation `json:"relation"`
	Reason       household.ObjectionReason  `json:"reason"`
	Notes        string                     `json:"notes,omitempty"`
	Evidence     *household.Evidence        `json:"evidence,omitempty"`
	RecordedBy   string                     `json:"recordedBy"`
	RecordedRole household.Role             `json:"recordedRole"`
	RecordedAt   time.Time                  `json:"recordedAt"`
	Status       household.ObjectionStatus  `json:"status"`
	DueAt        time.Time                  `json:"dueAt"`
	AnsweredBy   string                     `json:"answeredBy,omitempty"`
	AnsweredAt   time.Time                  `json:"answeredAt,omitzero"`
	Answer       string                     `json:"answer,omitempty"`
	CaseStage    household.Stage            `json:"caseStage,omitempty"`
	CaseRefused  bool                       `json:"caseRefused,omitempty"`
	Events       []ItemEvent                `json:"events"`
	Version      int64                      `json:"version"`
}

// ObjectionList is the objections a person may read, newest first.
type ObjectionList struct {
	Items []ObjectionView `json:"items"`
}

// ViewObjection is o as shown.
func ViewObjection(o household.Objection) ObjectionView {
	v := ObjectionView{ID: o.ID, CaseID: o.CaseID, HeadName: o.HeadName, VillageCode: o.VillageCode, DistrictCode: o.DistrictCode,
		RegencyCode: o.RegencyCode, Relation: o.Relation, Reason: o.Reason, Notes: o.Notes, Evidence: o.Evidence,
		RecordedBy: o.Recorder.Sub, RecordedRole: o.Recorder.Role, RecordedAt: o.RecordedAt, Status: o.Status, DueAt: o.DueAt,
		AnsweredBy: o.AnsweredBy, AnsweredAt: o.AnsweredAt, Answer: o.Answer, CaseStage: o.CaseStage, CaseRefused: o.CaseRefused,
		Version: o.Version, Events: make([]ItemEvent, len(o.Events))}
	for i, e := range o.Events {
		v.Events[i] = itemEvent(e, "")
	}
	return v
}

// Publication is a village's list as posted for objection.
type Publication struct {
	Village string    `json:"village"`
	From    time.Time `json:"from"`
	// Until is the last day objections are recorded (YYYY-MM-DD, the
	// village's clock).
	Until string `json:"until"`
	// Open is whether objections are recorded today.
	Open bool `json:"open"`
}

// PublishRequest posts a village's list for objection until a day.
type PublishRequest struct {
	// Until is the last day (YYYY-MM-DD); "" is DefaultPublicationDays on.
	Until string `json:"until,omitempty"`
}

// errListClosed refuses an objection against a household whose village's
// list is not posted for objection now.
func errListClosed() error {
	return refuse(household.CodeConflict, "the village's list is not open for objections; publish it first")
}

// villageOf checks that code is a village within p's region.
func villageOf(p auth.Principal, code string) (region.Region, error) {
	v, ok := region.Lookup(code)
	if !ok || v.Level != region.Village {
		return region.Region{}, invalid(household.NewFieldError("village", "must be a %s code of the registry", region.Village))
	}
	if !region.Within(code, p.Region) {
		return region.Region{}, invalid(household.NewFieldError("village", "lies outside your region %s", p.Region))
	}
	return v, nil
}

// Publish posts village's list for objection from now until req.Until.
func (s *Service) Publish(ctx context.Context, who Caller, village string, req PublishRequest) (Publication, error) {
	p := who.Principal
	if !p.Can(publishRoles...) {
		return Publication{}, errRole()
	}
	if s.posted == nil {
		return Publication{}, errLists()
	}
	if _, err := villageOf(p, village); err != nil {
		return Publication{}, err
	}
	now := s.now()
	today := region.Today(village, now)
	until := req.Until
	if until == "" {
		until = now.In(region.Zone(village)).AddDate(0, 0, DefaultPublicationDays).Format(time.DateOnly)
	}
	last := now.In(region.Zone(village)).AddDate(0, 0, MaxPublicationDays).Format(time.DateOnly)
	if _, err := household.ParseDate(until); err != nil {
		return Publication{}, invalid(household.NewFieldError("until", "%v", err))
	}
	if until < today || until > last {
		return Publication{}, invalid(household.NewFieldError("until", "must be a day from today to %d days ahead", MaxPublicationDays))
	}
	pub := publications.Publication{Village: village, From: now.UTC(), Until: until, By: p.Sub, Role: string(p.Role)}
	if err := s.posted.Publish(ctx, pub); err != nil {
		return Publication{}, err
	}
	return viewPublication(pub, now), nil
}

func viewPublication(p publications.Publication, now time.Time) Publication {
	return Publication{Village: p.Village, From: p.From, Until: p.Until, Open: p.Open(region.Today(p.Village, now), region.Zone(p.Village))}
}

// Object records an objection against the household of case caseID,
// whose village's list is posted for objection; its workflow gives Dinsos
// the deadline to answer.
func (s *Service) Object(ctx context.Context, who Caller, caseID string, in household.ObjectionInput) (ObjectionView, error) {
	p := who.Principal
	if !p.Can(household.ObjectRoles...) {
		return ObjectionView{}, errRole()
	}
	if s.lists == nil || s.posted == nil {
		return ObjectionView{}, errLists()
	}
	c, err := s.readCase(ctx, p, caseID)
	if err != nil {
		return ObjectionView{}, err
	}
	now := s.now()
	if err := in.Validate(now); err != nil {
		return ObjectionView{}, domainError(err)
	}
	if err := s.checkPhoto(ctx, c.ID, in); err != nil {
		return ObjectionView{}, err
	}
	if err := c.CheckObject(actor(p), in, now); err != nil {
		return ObjectionView{}, domainError(err)
	}
	pub, ok, err := s.posted.Publication(ctx, c.VillageCode)
	if err != nil {
		return ObjectionView{}, err
	}
	if !ok || !pub.Open(region.Today(c.VillageCode, now), region.Zone(c.VillageCode)) {
		return ObjectionView{}, errListClosed()
	}
	id := itemID("sgh-", who)
	ref := household.Case{ID: c.ID, KK: c.KK, HeadName: c.HeadName, VillageCode: c.VillageCode, DistrictCode: c.DistrictCode, RegencyCode: c.RegencyCode}
	o, err := workflows.StartObjection(ctx, s.temporal, workflows.ObjectionInput{ID: id, Case: ref, Objection: in, Actor: actor(p),
		Deadlines: s.deadlines, RequestID: id})
	if errors.Is(err, workflows.ErrObjectionEnded) {
		o, err = s.lists.Objection(ctx, id)
	}
	if err != nil {
		return ObjectionView{}, temporalError(err)
	}
	return ViewObjection(o), nil
}

// readObjection reads an objection the caller may see; one outside their
// region is answered as a missing one.
func (s *Service) readObjection(ctx context.Context, p auth.Principal, id string) (household.Objection, error) {
	if s.lists == nil {
		return household.Objection{}, errLists()
	}
	none := refuse(household.CodeNotFound, "no such objection")
	if len(id) > household.MaxID {
		return household.Objection{}, none
	}
	o, err := s.lists.Objection(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.Sees(o.VillageCode)) {
		return household.Objection{}, none
	}
	if err != nil {
		return household.Objection{}, fmt.Errorf("read objection: %w", err)
	}
	return o, nil
}

// Objection is one objection as who may see it, and whether they may
// answer it now; the read is on its household's record.
func (s *Service) Objection(ctx context.Context, who Caller, id string) (ObjectionView, bool, error) {
	p := who.Principal
	if !p.Can(listReaders...) {
		return ObjectionView{}, false, errRole()
	}
	o, err := s.readObjection(ctx, p, id)
	if err != nil {
		return ObjectionView{}, false, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: o.CaseID, Filter: "objection=" + o.ID}); err != nil {
		return ObjectionView{}, false, err
	}
	return ViewObjection(o), o.MayAnswer(actor(p)), nil
}

// Objections lists the objections in who's region (or the part of it,
// the status or the case q names), newest first; the list is recorded
// with the households it shows.
func (s *Service) Objections(ctx context.Context, who Caller, q ListQuery) (ObjectionList, error) {
	p := who.Principal
	if !p.Can(listReaders...) {
		return ObjectionList{}, errRole()
	}
	if s.lists == nil {
		return ObjectionList{}, errLists()
	}
	scope, err := listScope(p, q, stringsOf(household.ObjectionStatuses))
	if err != nil {
		return ObjectionList{}, err
	}
	os, err := s.lists.Objections(ctx, store.ListFilter{Scope: scope, Status: q.Status, CaseID: q.CaseID})
	if err != nil {
		return ObjectionList{}, err
	}
	out := ObjectionList{Items: make([]ObjectionView, len(os))}
	var ids []string
	for i, o := range os {
		out.Items[i] = ViewObjection(o)
		if !slices.Contains(ids, o.CaseID) {
			ids = append(ids, o.CaseID)
		}
	}
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: q.filter(), Rows: len(os)}); err != nil {
		return ObjectionList{}, err
	}
	return out, nil
}

// Answer is Dinsos's answer to an objection: upheld, the household's case
// goes to verification again with the objection attached; dismissed,
// nothing changes. The answer comes once an upheld objection has reached
// its case.
func (s *Service) Answer(ctx context.Context, who Caller, id string, in household.AnswerInput) (ObjectionView, error) {
	p := who.Principal
	if !p.Can(household.AnswerRoles...) {
		return ObjectionView{}, errRole()
	}
	o, err := s.readObjection(ctx, p, id)
	if err != nil {
		return ObjectionView{}, err
	}
	if err := in.Validate(s.now()); err != nil {
		return ObjectionView{}, domainError(err)
	}
	out, err := workflows.Answer(ctx, s.temporal, o.ID, actor(p), in, updateName(who))
	if err != nil {
		return ObjectionView{}, itemError(err, "the objection is already answered (%s)", o.Status)
	}
	return ViewObjection(out), nil
}

// PublishedList is a village's list as posted at the village office for
// objection: each household by its head's name and RT, its KK by the
// last four digits only, no NIK, no address beyond the RT.
type PublishedList struct {
	Village  region.Region `json:"village"`
	District region.Region `json:"district"`
	Regency  region.Region `json:"regency"`
	// Publication is the period objections are taken, absent when the
	// list was never posted.
	Publication *Publication   `json:"publication,omitempty"`
	Rows        []PublishedRow `json:"rows"`
	GeneratedAt time.Time      `json:"generatedAt"`
	// Truncated is set when the village held more than MaxBNBA households.
	Truncated bool `json:"truncated,omitempty"`
}

// PublishedRow is one household of the posted list.
type PublishedRow struct {
	HeadName string `json:"headName"`
	// RT is the household's RT (rukun tetangga), 0 when its address names
	// none.
	RT int `json:"rt,omitempty"`
	// KKLast4 are the last four digits of the family card, by which a
	// household that shares a name is told apart.
	KKLast4 string `json:"kkLast4"`
}

// VillagePosting is village's list for posting at the village office:
// its open cases, masked for the public whoever prints it; the print is
// on the record of every household it shows.
func (s *Service) VillagePosting(ctx context.Context, who Caller, village string) (PublishedList, error) {
	p := who.Principal
	if !p.Can(printRoles...) {
		return PublishedList{}, errRole()
	}
	if village == "" {
		village = p.Region
	}
	v, err := villageOf(p, village)
	if err != nil {
		return PublishedList{}, err
	}
	out := PublishedList{Village: v, Rows: []PublishedRow{}, GeneratedAt: s.now().UTC()}
	out.District, _ = region.Lookup(region.Ancestor(village, region.District))
	out.Regency, _ = region.Lookup(region.Ancestor(village, region.Regency))
	if s.posted != nil {
		pub, ok, err := s.posted.Publication(ctx, village)
		if err != nil {
			return PublishedList{}, err
		}
		if ok {
			view := viewPublication(pub, s.now())
			out.Publication = &view
		}
	}
	f := store.Filter{Scope: p.Region, Village: village, Status: household.StatusOpen, Limit: MaxLimit}
	var ids []string
	for {
		page, err := s.store.List(ctx, f)
		if err != nil {
			return PublishedList{}, err
		}
		for _, sum := range page.Items {
			if len(out.Rows) == MaxBNBA {
				out.Truncated = true
				break
			}
			c, err := s.store.Case(ctx, sum.ID)
			if err != nil {
				return PublishedList{}, fmt.Errorf("posted list, case %s: %w", sum.ID, err)
			}
			row := PublishedRow{HeadName: c.HeadName, RT: rtOf(c.Address)}
			if len(c.KK) == 16 {
				row.KKLast4 = c.KK[12:]
			}
			out.Rows = append(out.Rows, row)
			ids = append(ids, c.ID)
		}
		if page.Next == "" || out.Truncated {
			break
		}
		f.Cursor = page.Next
	}
	slices.SortStableFunc(out.Rows, func(a, b PublishedRow) int {
		ra, rb := a.RT, b.RT
		if ra == 0 {
			ra = 1 << 30
		}
		if rb == 0 {
			rb = 1 << 30
		}
		return cmp.Or(cmp.Compare(ra, rb), strings.Compare(a.HeadName, b.HeadName), strings.Compare(a.KKLast4, b.KKLast4))
	})
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: "village=" + village + "&format=posting", Rows: len(ids)}); err != nil {
		return PublishedList{}, err
	}
	return out, nil
}

// MayObject reports whether who may record an objection against the case
// v now: their role may, the case is open and in their region, and its
// village's list is posted for objection today.
func (s *Service) MayObject(ctx context.Context, who Caller, v CaseView) (bool, error) {
	p := who.Principal
	// The domain's rule, on what it reads of the case: its village and status.
	c := household.Case{VillageCode: v.VillageCode, Status: v.Status}
	if s.posted == nil || !c.MayObject(actor(p)) {
		return false, nil
	}
	pub, ok, err := s.posted.Publication(ctx, v.VillageCode)
	if err != nil {
		return false, err
	}
	return ok && pub.Open(region.Today(v.VillageCode, s.now()), region.Zone(v.VillageCode)), nil
}
