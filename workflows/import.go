package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// ImportWorkflowID is the ID of an import's workflow.
func ImportWorkflowID(importID string) string { return "import-" + importID }

// ImportInput starts an import, or continues one after continue-as-new.
type ImportInput struct {
	Progress listimport.Progress `json:"progress"`
	Actor    household.Actor     `json:"actor"`
}

// im is the typed nil through which the import workflow names its activities.
var im *activities.Importer

// Import opens the cases of an uploaded file, one stored chunk at a time,
// recording progress after each chunk. It is a workflow so that an import
// survives a restart and resumes where it stopped.
func Import(ctx workflow.Context, in ImportInput) (listimport.Progress, error) {
	p := in.Progress
	chunkCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 20},
	})
	saveCtx := workflow.WithActivityOptions(ctx, projectOptions)
	for p.ChunksDone < p.Chunks {
		var res activities.ChunkResult
		err := workflow.ExecuteActivity(chunkCtx, im.OpenChunk, activities.ChunkInput{ImportID: p.ID, Chunk: p.ChunksDone, Actor: in.Actor}).Get(ctx, &res)
		if err != nil {
			// The chunk's rows could not be opened even after retries;
			// they count as failed and the import goes on.
			workflow.GetLogger(ctx).Error("import chunk failed", "import", p.ID, "chunk", p.ChunksDone, "error", err)
			p.ChunkFailed(workflow.Now(ctx))
		} else {
			p.ChunkOpened(res.Opened, res.AlreadyOpen, res.Flagged, workflow.Now(ctx))
		}
		if err := workflow.ExecuteActivity(saveCtx, im.SaveImportProgress, p).Get(ctx, nil); err != nil {
			return p, err
		}
		if p.ChunksDone < p.Chunks && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return p, workflow.NewContinueAsNewError(ctx, Import, ImportInput{Progress: p, Actor: in.Actor})
		}
	}
	return p, nil
}
