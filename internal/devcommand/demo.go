package devcommand

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/demo"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/workflows"
)

// seedDemo fills d's read model with the demo's year of Kutai Timur (see
// internal/demo) and takes the progress snapshots of every month at once.
func seedDemo(ctx context.Context, d *devsystem.System, out io.Writer) error {
	t0 := time.Now()
	n, err := demo.Seed(ctx, &activities.Activities{Store: d.Store}, t0, out)
	if err != nil {
		return err
	}
	h := d.Client.ScheduleClient().GetHandle(ctx, workflows.ProgressScheduleID)
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		return fmt.Errorf("demo: take the progress snapshots: %w", err)
	}
	fmt.Fprintf(out, "demo: %d households of Kutai Timur over the past year in %s; the monthly snapshots are being taken (Dasbor → perkembangan)\n",
		n, time.Since(t0).Round(time.Second))
	return nil
}
