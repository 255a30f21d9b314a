package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// backend is what both production processes connect to.
type backend struct {
	TemporalAddress string
	Namespace       string
	MongoURI        string
	MongoDatabase   string
}

func dialTemporal(ctx context.Context, b backend, ring *codec.Keyring, logger *slog.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:      b.TemporalAddress,
		Namespace:     b.Namespace,
		DataConverter: codec.DataConverter(ring),
		Logger:        sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
	})
	if err != nil {
		return nil, fmt.Errorf("dial temporal %s: %w", b.TemporalAddress, err)
	}
	return c, nil
}

func openStore(ctx context.Context, b backend) (*store.Store, error) {
	st, err := store.Connect(ctx, b.MongoURI, b.MongoDatabase)
	if err != nil {
		return nil, err
	}
	if err := st.EnsureIndexes(ctx); err != nil {
		_ = st.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return st, nil
}

// ensureSearchAttributes registers the case workflow's search attributes
// in the namespace if a cluster lacks them.
func ensureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range workflows.SearchAttributeTypes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing}); err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

func newWorker(c client.Client, st activities.CaseStore, logger *slog.Logger) worker.Worker {
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.Case)
	w.RegisterActivity(&activities.Activities{Store: st, Notifier: activities.LogNotifier{Logger: logger}})
	return w
}

// httpServer is the API's server with timeouts set.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

func newAPI(c client.Client, st *store.Store, issuer *auth.Issuer, deadlines household.Deadlines, logger *slog.Logger) http.Handler {
	return api.New(api.Config{Temporal: c, Store: st, Issuer: issuer, Logger: logger, Deadlines: deadlines})
}

// serveHTTP serves on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}
