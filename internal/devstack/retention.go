package devstack

import (
	"context"
	"fmt"
	"time"

	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// DefaultRetention keeps a closed case's workflow history for a month:
// long enough to look into a case that closed wrongly with the Temporal CLI,
// while the case's snapshot and timeline stay in MongoDB for good.
const DefaultRetention = 30 * 24 * time.Hour

// ensureRetention sets the namespace's retention through the frontend when
// it differs. Creating the namespace in SQLite covers a new data directory
// only (creation is a no-op when the namespace exists), so an older
// directory, created with Temporal's one-day default, is updated here.
func ensureRetention(ctx context.Context, addr, namespace string, retention time.Duration) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("devstack: retention: %w", err)
	}
	defer conn.Close()
	svc := workflowservice.NewWorkflowServiceClient(conn)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	current, err := describeRetention(ctx, svc, namespace)
	if err != nil || current == retention {
		return err
	}
	_, err = svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: namespace,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
	})
	if err != nil {
		return fmt.Errorf("devstack: set retention of %s to %v: %w", namespace, retention, err)
	}
	return nil
}

// describeRetention asks for the namespace's retention, retrying while the
// frontend, which accepts connections before its services are all up,
// answers Unavailable.
func describeRetention(ctx context.Context, svc workflowservice.WorkflowServiceClient, namespace string) (time.Duration, error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		resp, err := svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		if err == nil {
			return resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(), nil
		}
		if status.Code(err) != codes.Unavailable {
			return 0, fmt.Errorf("devstack: describe namespace %s: %w", namespace, err)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("devstack: describe namespace %s: %w", namespace, err)
		case <-t.C:
		}
	}
}
