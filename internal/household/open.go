package household

import (
	"github.com/tuntas-id/tuntas/internal/region"
)

// OpenInput opens a case.
type OpenInput struct {
	ID          string `json:"id"`
	KK          string `json:"kk"`
	HeadNIK     string `json:"headNik"`
	HeadName    string `json:"headName"`
	VillageCode string `json:"villageCode"`
	Address     string `json:"address"`
	Source      Source `json:"source"`
	// Desil is the welfare decile 1–10, or 0 when the list gives none.
	Desil int `json:"desil,omitempty"`
	// Proposal is the village proposal whose acceptance opens the case
	// (its source is then SourceVillageProposal); "" for any other.
	Proposal string `json:"proposal,omitempty"`
}

// Validate checks a case opened by an actor whose region is scope. Every
// path that opens a case (the API, a list import) goes through it.
func (in OpenInput) Validate(scope string) error {
	var fe FieldErrors
	if kk, err := ParseKK(in.KK); err != nil {
		fe.Add("kk", "%v", err)
	} else if reg, ok := region.Lookup(kk.Regency); !ok || reg.Level != region.Regency {
		fe.Add("kk", "digits 1-4 (%s) are not a regency or city of the registry", region.Compact(kk.Regency))
	}
	if nik, err := ParseNIK(in.HeadNIK); err != nil {
		fe.Add("headNik", "%v", err)
	} else if !region.IsProvinceCode(nik.Province) {
		fe.Add("headNik", "digits 1-2 (%s) are not an Indonesian province code", nik.Province)
	} else if _, ok := region.Lookup(nik.Province); ok {
		// A head from another province is allowed (the registry holds only
		// Kalimantan Timur); one from this province must name a real regency.
		if reg, ok := region.Lookup(nik.Regency); !ok || reg.Level != region.Regency {
			fe.Add("headNik", "digits 1-4 (%s) are not a regency or city of the registry", region.Compact(nik.Regency))
		}
	}
	fe.Text("headName", in.HeadName, MaxName)
	if v, ok := region.Lookup(in.VillageCode); !ok || v.Level != region.Village {
		fe.Add("villageCode", "must be a village (desa/kelurahan) code of the registry, like 64.08.01.2001")
	} else if !region.Within(in.VillageCode, scope) {
		fe.Add("villageCode", "lies outside your region %s", scope)
	}
	fe.Lines("address", in.Address, MaxAddress)
	if in.Proposal == "" {
		Enum(&fe, "source", in.Source, OpenSources)
	} else {
		Enum(&fe, "source", in.Source, []Source{SourceVillageProposal})
		if err := validID("proposal", in.Proposal); err != nil {
			fe = append(fe, err.(FieldErrors)...)
		}
	}
	if in.Desil < 0 || in.Desil > 10 {
		fe.Add("desil", "must be a decile from 1 to 10")
	}
	return fe.Err()
}
