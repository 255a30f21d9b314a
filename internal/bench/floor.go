package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// FloorTaskQueue is where the engine-floor workflows run.
const FloorTaskQueue = "tuntas-bench-floor"

// Floor message names.
const (
	floorStep = "step"
	floorDone = "done"
)

// floorWorkflow does what a case does to the engine, with nothing inside:
// each update runs one empty activity; the last update ends it.
func floorWorkflow(ctx workflow.Context) error {
	done := false
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	step := func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(actx, floorActivity).Get(ctx, nil)
	}
	if err := workflow.SetUpdateHandler(ctx, floorStep, step); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, floorDone, func(ctx workflow.Context) error {
		done = true
		return step(ctx)
	}); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return done }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func floorActivity(context.Context) error { return nil }

// NewFloorWorker returns a worker for the engine-floor workflows.
func NewFloorWorker(c client.Client) worker.Worker {
	w := worker.New(c, FloorTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(floorWorkflow, workflow.RegisterOptions{Name: "BenchFloor"})
	w.RegisterActivity(floorActivity)
	return w
}

// Floor runs the engine floor for n households shaped like Run's mix on c
// (a worker for FloorTaskQueue must be running): one bare workflow per
// household with its count of updates, concurrency at a time,
// and, for households that graduate, the visit gap before the last update
// without holding one of the concurrency, as the lifecycle waits for its
// second visit.
func Floor(ctx context.Context, c client.Client, n, concurrency int, gap time.Duration) (PhaseReport, error) {
	plans := make([]Plan, n)
	for i := range plans {
		plans[i] = PlanFor(i)
	}
	d, err := runFloor(ctx, c, plans, concurrency, strconv.FormatInt(time.Now().UnixNano(), 36), gap)
	return phase(n, d), err
}

// runFloor runs the floor of plans and returns the elapsed time.
func runFloor(ctx context.Context, c client.Client, plans []Plan, concurrency int, runID string, gap time.Duration) (time.Duration, error) {
	start := time.Now()
	var (
		mu       sync.Mutex
		firstErr error
	)
	id := func(i int) string { return fmt.Sprintf("floor-%s-%d", runID, i) }
	schedule(len(plans), concurrency,
		func(i int) (time.Time, error) {
			if err := floorCase(ctx, c, id(i), plans[i]); err != nil {
				return time.Time{}, err
			}
			if plans[i].Kind == KindExcluded {
				return time.Time{}, floorEnd(ctx, c, id(i))
			}
			return time.Now().Add(gap), nil
		},
		func(i int) error { return floorEnd(ctx, c, id(i)) },
		func(err error) {
			mu.Lock()
			defer mu.Unlock()
			if firstErr == nil {
				firstErr = err
			}
		})
	return time.Since(start), firstErr
}

// floorUpdate sends one update and waits for it to complete.
func floorUpdate(ctx context.Context, c client.Client, id, name string) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("floor %s: %w", id, err)
	}
	return nil
}

// floorCase opens a floor workflow and sends everything of its plan but
// the last update.
func floorCase(ctx context.Context, c client.Client, id string, p Plan) error {
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: FloorTaskQueue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, "BenchFloor")
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: floorStep, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return fmt.Errorf("floor %s: %w", id, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		return fmt.Errorf("floor %s: %w", id, err)
	}
	for range p.Updates - 2 {
		if err := floorUpdate(ctx, c, id, floorStep); err != nil {
			return err
		}
	}
	return nil
}

// floorEnd is a floor workflow's last update, which ends it.
func floorEnd(ctx context.Context, c client.Client, id string) error {
	return floorUpdate(ctx, c, id, floorDone)
}
