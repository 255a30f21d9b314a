package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/report"
)

// ProgressScheduleID names the Temporal Schedule of the monthly progress
// snapshots (`temporal schedule describe --schedule-id tuntas-progress`);
// ProgressWorkflowID is the ID each run's workflow starts from.
const (
	ProgressScheduleID = "tuntas-progress"
	ProgressWorkflowID = "progress-snapshot"
)

// ProgressInput starts a progress snapshot.
type ProgressInput struct {
	// Scope is the region whose cases are counted, every region under it
	// getting its points (a province: its regencies and kecamatan).
	Scope string `json:"scope"`
	// Month (YYYY-MM) is the month to take; "" takes the month that holds
	// the run's scheduled time less MonthGrace (the month just over, for
	// the monthly run on the 1st; the month so far, for a run on demand
	// later in a month).
	Month string `json:"month,omitempty"`
	// Backfill takes every month before it too, back to the first case's.
	Backfill bool `json:"backfill,omitempty"`
}

// MonthGrace is how long after a month's end its monthly run may start
// and still take it: the schedule fires at 00:05 UTC on the 1st, 08:05
// WITA.
const MonthGrace = 12 * time.Hour

// scheduledStartTime is the search attribute a Schedule sets on the
// workflows it starts: when the run was due, not when it began.
var scheduledStartTime = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// sn is the typed nil through which the snapshot names its activity.
var sn *activities.Snapshots

// ProgressSnapshot counts every region's cases as at the end of a month
// from their timelines and stores the points. A month taken twice (a
// repeated or caught-up run, a restart mid-run) replaces its points.
func ProgressSnapshot(ctx workflow.Context, in ProgressInput) (activities.SnapshotResult, error) {
	month := in.Month
	if month == "" {
		due, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartTime)
		if !ok {
			due = workflow.Now(ctx)
		}
		month = report.MonthOf(in.Scope, due.Add(-MonthGrace))
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute, MaximumAttempts: 10},
	})
	var res activities.SnapshotResult
	err := workflow.ExecuteActivity(actx, sn.TakeSnapshot, activities.SnapshotInput{Scope: in.Scope, Through: month, Backfill: in.Backfill}).Get(ctx, &res)
	return res, err
}

// EnsureProgressSchedule creates the monthly progress schedule of scope
// unless it exists: safe on every start of every process.
func EnsureProgressSchedule(ctx context.Context, c client.Client, scope string) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: ProgressScheduleID,
		Spec: client.ScheduleSpec{Calendars: []client.ScheduleCalendarSpec{{
			DayOfMonth: []client.ScheduleRange{{Start: 1}},
			Hour:       []client.ScheduleRange{{Start: 0}},
			Minute:     []client.ScheduleRange{{Start: 5}},
			Comment:    "monthly progress snapshot, 08:05 WITA on the 1st",
		}}},
		Action: &client.ScheduleWorkflowAction{
			ID:        ProgressWorkflowID,
			Workflow:  ProgressSnapshot,
			Args:      []any{ProgressInput{Scope: scope, Backfill: true}},
			TaskQueue: TaskQueue,
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		// A month missed while everything was down is taken when it is
		// back, up to a month late (the run backfills earlier months too).
		CatchupWindow: 31 * 24 * time.Hour,
		Note:          "Tuntas: dashboard counts per region, monthly, as at each month's end",
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", ProgressScheduleID, err)
	}
	return nil
}
