package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
)

// ImportWorkflowID is the ID of an import's workflow.
func ImportWorkflowID(importID string) string { return "import-" + importID }

// ImportInput starts an import, or continues one after continue-as-new.
type ImportInput struct {
	Progress activities.ImportProgress `json:"progress"`
	Actor    household.Actor           `json:"actor"`
}

// im is the typed nil through which the import workflow names its activities.
var im *activities.Importer

// Import opens the cases of an uploaded file, one stored chunk at a time,
// recording progress after each chunk. It is a workflow so that an import
// survives a restart and resumes where it stopped.
func Import(ctx workflow.Context, in ImportInput) (activities.ImportProgress, error) {
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
			res = activities.ChunkResult{}
			p.Failed += chunkRows(p, p.ChunksDone)
		}
		p.Opened += res.Opened
		p.AlreadyOpen += res.AlreadyOpen
		p.ChunksDone++
		p.UpdatedAt = workflow.Now(ctx)
		if p.ChunksDone == p.Chunks {
			p.Status, p.FinishedAt = activities.ImportDone, p.UpdatedAt
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

// ImportChunkSize is how many valid rows one stored chunk holds.
const ImportChunkSize = 250

// chunkRows is the number of rows in chunk n: full chunks but the last.
func chunkRows(p activities.ImportProgress, n int) int {
	if n < p.Chunks-1 {
		return ImportChunkSize
	}
	return p.Valid - ImportChunkSize*(p.Chunks-1)
}
