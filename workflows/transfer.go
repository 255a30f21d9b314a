package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
)

// transferChange records, at a run's first transfer action, the version
// of ChangeTransfer the run follows (see ChangeTransfer).
func (w *caseWorkflow) transferChange(ctx workflow.Context) error {
	w.transfer = workflow.GetVersion(ctx, ChangeTransfer, workflow.DefaultVersion, TransferVersion)
	return nil
}

// recordAnswer applies the receiving region's answer and remembers
// whether it moved the case, for settleMove.
func (w *caseWorkflow) recordAnswer(c *household.Case, by household.Actor, in household.TransferAnswerInput, t time.Time) []household.Event {
	w.moved = in.Decision == household.TransferAccept
	return c.AnswerTransfer(by, in, t)
}

// settleMove does what an accepted move changes outside the case's own
// state: its people's claims name the new village (so a case that meets
// one of them later tells who may see it by where it now lies). The
// kecamatan and village search attributes follow at the projection
// (upsertAttributes), like the stage's.
func (w *caseWorkflow) settleMove(ctx workflow.Context) error {
	moved := w.moved
	w.moved = false
	if !moved || w.transfer < TransferVersion {
		return nil
	}
	niks := w.c.NIKs()
	if len(niks) == 0 {
		return nil
	}
	return w.write(ctx, people.MovePeople, activities.MoveInput{CaseID: w.c.ID, Village: w.c.VillageCode, NIKs: niks}, nil)
}
