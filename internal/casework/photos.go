package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/photos"
	"github.com/tuntas-id/tuntas/internal/store"
)

// PhotoStore keeps the photos of houses taken with a survey or a visit
// (photos.Store).
type PhotoStore interface {
	Put(ctx context.Context, p photos.Photo) (bool, error)
	Has(ctx context.Context, caseID, id string) (bool, error)
	Get(ctx context.Context, caseID, id string) (photos.Photo, error)
}

var _ PhotoStore = (*photos.Store)(nil)

// PhotoRef is an uploaded photo as its uploader is answered: the ID a
// survey or a visit then names.
type PhotoRef struct {
	ID     string `json:"id"`
	CaseID string `json:"caseId"`
	Bytes  int    `json:"bytes"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// Stored is false when the case already held the photo (sent again).
	Stored bool `json:"stored"`
}

// PhotoRoles are the roles that may upload a photo: those who take a
// survey, record a visit or record an objection.
func PhotoRoles() []household.Role {
	rs := slices.Clone(household.ActSurvey.Roles())
	for _, r := range slices.Concat(household.ActFollowUp.Roles(), household.ObjectRoles) {
		if !slices.Contains(rs, r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// UploadPhoto stores a photo of the house with an open case the caller
// may see and act on, before the survey or visit that names it is sent:
// the workflow's payloads then carry the photo's ID, never its bytes. b is
// checked (a JPEG of at most household.MaxPhotoBytes) and stored without
// its metadata; the same photo sent again is stored once.
func (s *Service) UploadPhoto(ctx context.Context, who Caller, caseID string, b []byte) (PhotoRef, error) {
	if s.photos == nil {
		return PhotoRef{}, errors.New("upload photo: no photo store configured")
	}
	if !who.Can(PhotoRoles()...) {
		return PhotoRef{}, errRole()
	}
	sum, err := s.readSummary(ctx, who.Principal, caseID)
	if err != nil {
		return PhotoRef{}, err
	}
	if sum.Status != household.StatusOpen {
		return PhotoRef{}, refusef(household.CodeConflict, "the case is closed (%s)", sum.Outcome)
	}
	p, err := household.ParsePhoto(b)
	if err != nil {
		return PhotoRef{}, domainError(err)
	}
	stored, err := s.photos.Put(ctx, photos.Photo{CaseID: sum.ID, ID: p.ID, Bytes: p.Bytes, Width: p.Width, Height: p.Height,
		By: who.Sub, At: s.now().UTC()})
	if err != nil {
		return PhotoRef{}, err
	}
	return PhotoRef{ID: p.ID, CaseID: sum.ID, Bytes: len(p.Bytes), Width: p.Width, Height: p.Height, Stored: stored}, nil
}

// Photo is a photo of a case's house, for a caller who may read the case;
// each view is recorded, with the photo it showed, as a read of the case.
// A photo the case does not hold is answered like a case the caller may
// not see.
func (s *Service) Photo(ctx context.Context, who Caller, caseID, photoID string) (photos.Photo, error) {
	if s.photos == nil {
		return photos.Photo{}, errors.New("photo: no photo store configured")
	}
	sum, err := s.readSummary(ctx, who.Principal, caseID)
	if err != nil {
		return photos.Photo{}, err
	}
	if !household.ValidPhotoID(photoID) {
		return photos.Photo{}, refuse(household.CodeNotFound, "no such photo")
	}
	p, err := s.photos.Get(ctx, sum.ID, photoID)
	if errors.Is(err, photos.ErrNotFound) {
		return photos.Photo{}, refuse(household.CodeNotFound, "no such photo")
	}
	if err != nil {
		return photos.Photo{}, fmt.Errorf("photo: %w", err)
	}
	if err := s.record(ctx, who, store.Access{CaseID: sum.ID, Photo: photoID}); err != nil {
		return photos.Photo{}, err
	}
	return p, nil
}

// checkPhoto refuses an action whose evidence names a photo the case does
// not hold: the photo is uploaded first.
func (s *Service) checkPhoto(ctx context.Context, caseID string, in any) error {
	var ev *household.Evidence
	switch x := in.(type) {
	case household.SurveyInput:
		ev = x.Survey.Evidence
	case household.FollowUpInput:
		ev = x.Evidence
	case household.ObjectionInput:
		ev = x.Evidence
	}
	if ev == nil || ev.Photo == "" {
		return nil
	}
	if s.photos == nil {
		return invalid(field("evidence.photo", "no photo with this ID was uploaded for this case; upload it first"))
	}
	has, err := s.photos.Has(ctx, caseID, ev.Photo)
	if err != nil {
		return fmt.Errorf("check photo: %w", err)
	}
	if !has {
		return invalid(field("evidence.photo", "no photo with this ID was uploaded for this case; upload it first"))
	}
	return nil
}
