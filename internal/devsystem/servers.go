package devsystem

import (
	"context"
	"fmt"

	"github.com/tuntas-id/tuntas/internal/devstack"
	"github.com/tuntas-id/tuntas/internal/server"
	"github.com/tuntas-id/tuntas/workflows"
)

// StartServers starts the embedded Temporal and FerretDB of cfg's data
// directory, with the namespace, its retention and the case search
// attributes in place.
func StartServers(ctx context.Context, cfg Config) (*devstack.Stack, error) {
	return devstack.Start(ctx, devstack.Options{
		Dir: cfg.DataDir, TemporalPort: cfg.TemporalPort, MongoPort: cfg.MongoPort,
		SearchAttributes: workflows.SearchAttributeTypes, Retention: cfg.Retention,
		SuggestContinueAsNewAfter: cfg.SuggestContinueAsNewAfter,
	})
}

// PrepareReadModel creates the collections and indexes of every store, as
// the api and worker processes would, so that each collection also gets
// the _id index FerretDB's lookups need now rather than at the next start.
func PrepareReadModel(ctx context.Context, s *devstack.Stack) error {
	st, err := server.OpenStores(ctx, server.Backend{MongoURI: s.MongoURI, MongoDatabase: Database})
	if err != nil {
		return err
	}
	// FerretDB waits for connected clients on Stop, so leave at once.
	if err := st.Close(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("close read model: %w", err)
	}
	return s.IndexIDs(ctx, Database)
}
