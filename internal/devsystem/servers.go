package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tuntas-id/tuntas/internal/devstack"
	"github.com/tuntas-id/tuntas/workflows"
)

// startServers starts the embedded Temporal and FerretDB of cfg's data
// directory, with the namespace, its retention and the case search
// attributes in place, and the read model's _id indexes.
func startServers(ctx context.Context, cfg devConfig) (*devstack.Stack, error) {
	return devstack.Start(ctx, devstack.Options{
		Dir: cfg.DataDir, TemporalPort: cfg.TemporalPort, MongoPort: cfg.MongoPort,
		SearchAttributes: workflows.SearchAttributeTypes, Retention: cfg.Retention,
		SuggestContinueAsNewAfter: cfg.SuggestContinueAsNewAfter,
	})
}

// prepareReadModel creates the collections and indexes of every store, as
// the api and worker processes would, so that each collection also gets
// the _id index FerretDB's lookups need now rather than at the next start.
func prepareReadModel(ctx context.Context, s *devstack.Stack) error {
	st, err := openStores(ctx, backend{MongoURI: s.MongoURI, MongoDatabase: devDatabase})
	if err != nil {
		return err
	}
	// FerretDB waits for connected clients on Stop, so leave at once.
	if err := st.Close(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("close read model: %w", err)
	}
	return s.IndexIDs(ctx, devDatabase)
}

// runServersOnly is `tuntas dev --servers-only`: the servers without an API
// or worker of their own, so that separate `tuntas api` and `tuntas worker`
// processes run against them as in production (the chaos run kills those
// processes one by one while the servers stay up).
func runServersOnly(ctx context.Context, cfg devConfig, stdout io.Writer) error {
	s, err := startServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Stop()
	if err := prepareReadModel(ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `Tuntas servers are running (data in %s; no API or worker)
  Temporal gRPC %s   namespace %s
  MongoDB URI   %s   database %s
For tuntas api / tuntas worker:
  TEMPORAL_ADDRESS=%s TEMPORAL_NAMESPACE=%s MONGODB_URI=%s MONGODB_DATABASE=%s
Press Ctrl-C to stop.
`, cfg.DataDir, s.TemporalAddress, s.Namespace, s.MongoURI, devDatabase,
		s.TemporalAddress, s.Namespace, s.MongoURI, devDatabase)
	<-ctx.Done()
	fmt.Fprintln(stdout, "Tuntas servers stopped.")
	return nil
}
