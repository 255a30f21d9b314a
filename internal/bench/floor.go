package bench

import (
	"context"
	"fmt"
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
	floorStep   = "step"
	floorDone   = "done"
	floorSignal = "poke"
)

// floorWorkflow does what a case does to the engine, with nothing inside:
// each update runs one empty activity; a signal is taken in; the last
// update ends it.
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
	sig := workflow.GetSignalChannel(ctx, floorSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sig.Receive(ctx, nil)
		}
	})
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

// runFloor runs one bare workflow per plan with the plan's counts of
// updates and signals, concurrency at a time, and returns the elapsed time.
func runFloor(ctx context.Context, c client.Client, plans []Plan, concurrency int, runID string) (time.Duration, error) {
	start := time.Now()
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := floorCase(ctx, c, fmt.Sprintf("floor-%s-%d", runID, i), plans[i]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range plans {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return time.Since(start), firstErr
}

func floorCase(ctx context.Context, c client.Client, id string, p Plan) error {
	update := func(name string) error {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		return h.Get(ctx, nil)
	}
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
	for range p.Signals {
		if err := c.SignalWorkflow(ctx, id, "", floorSignal, nil); err != nil {
			return fmt.Errorf("floor %s: %w", id, err)
		}
	}
	for range p.Updates - 2 {
		if err := update(floorStep); err != nil {
			return fmt.Errorf("floor %s: %w", id, err)
		}
	}
	if err := update(floorDone); err != nil {
		return fmt.Errorf("floor %s: %w", id, err)
	}
	return nil
}
