package report

import (
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// VillageProposals count the village proposals (usulan desa) of a period,
// from the times of each proposal and its answer: households proposed
// during the period, added to the list (accepted: a case opened),
// rejected by Dinsos, refused because an open case already held them, and
// still awaiting screening at the period's end. Each is split by the sex
// of the proposed head, as the head's NIK tells it (women's birth day is
// written plus 40).
type VillageProposals struct {
	Proposed ProposalCount `json:"proposed"`
	Added    ProposalCount `json:"added"`
	Rejected ProposalCount `json:"rejected"`
	Refused  ProposalCount `json:"refused"`
	Pending  ProposalCount `json:"pending"`
}

// ProposalCount is a number of proposed households by the head's sex.
type ProposalCount struct {
	Households int64 `json:"households"`
	HeadMale   int64 `json:"headMale"`
	HeadFemale int64 `json:"headFemale"`
}

func (c *ProposalCount) add(female bool) {
	c.Households++
	if female {
		c.HeadFemale++
	} else {
		c.HeadMale++
	}
}

// CountProposals counts ps over period, as at its end.
func CountProposals(period Period, ps []household.Proposal) VillageProposals {
	var out VillageProposals
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(period.Start) && t.Before(period.End) }
	for _, p := range ps {
		if !p.ProposedAt.Before(period.End) {
			continue
		}
		nik, _ := household.ParseNIK(p.HeadNIK)
		if in(p.ProposedAt) {
			out.Proposed.add(nik.Female)
		}
		answered := !p.ScreenedAt.IsZero() && p.ScreenedAt.Before(period.End)
		if !answered {
			out.Pending.add(nik.Female)
			continue
		}
		if !in(p.ScreenedAt) {
			continue
		}
		switch p.Status {
		case household.ProposalAccepted:
			out.Added.add(nik.Female)
		case household.ProposalRejected:
			out.Rejected.add(nik.Female)
		case household.ProposalDuplicate:
			out.Refused.add(nik.Female)
		}
	}
	return out
}

// proposalTable is the village proposals as a table of the report.
func (r Report) proposalTable() []Table {
	if r.Proposals == nil {
		return nil
	}
	t := Table{Name: "Usulan Desa", Header: []string{"Uraian", "Rumah tangga", "Kepala RT laki-laki", "Kepala RT perempuan"}}
	for _, row := range []struct {
		label string
		c     ProposalCount
	}{
		{"Diusulkan desa selama periode", r.Proposals.Proposed},
		{"Ditambahkan ke daftar (usulan diterima) selama periode", r.Proposals.Added},
		{"Ditolak Dinsos selama periode", r.Proposals.Rejected},
		{"Ditolak: sudah tercatat di kasus terbuka", r.Proposals.Refused},
		{"Menunggu penyaringan pada akhir periode", r.Proposals.Pending},
	} {
		t.Rows = append(t.Rows, []any{row.label, row.c.Households, row.c.HeadMale, row.c.HeadFemale})
	}
	return []Table{t}
}
