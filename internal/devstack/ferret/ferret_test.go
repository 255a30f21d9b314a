package ferret_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret"
)

// TestFerretDBIndexesIDLookupsAndKeepsItsData starts FerretDB alone, as
// the read model's tests do: it speaks the MongoDB protocol on loopback,
// IndexIDs makes lookups by _id use an index, and a second start on the
// same directory finds what the first one stored.
func TestFerretDBIndexesIDLookupsAndKeepsItsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()

	f, err := ferret.Start(ferret.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.URI, "mongodb://127.0.0.1:") || strings.HasSuffix(f.URI, ":0/") {
		t.Errorf("URI = %q, want a loopback mongodb:// URI with the port bound", f.URI)
	}
	c := connect(t, f.URI)
	if _, err := c.Database("tuntas").Collection("cases").InsertOne(ctx, bson.D{{Key: "_id", Value: "case-1"}, {Key: "stage", Value: "collecting"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.IndexIDs(ctx, "tuntas"); err != nil {
		t.Fatal(err)
	}
	plan, err := f.IDQueryPlan(ctx, "tuntas", "cases")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "USING INDEX") || !strings.Contains(plan, "tuntas_id_path") {
		t.Errorf("lookup by _id does not use the expression index: %s", plan)
	}
	_ = c.Disconnect(ctx)
	f.Stop()
	f.Stop() // a second Stop does nothing

	again, err := ferret.Start(ferret.Options{Dir: dir})
	if err != nil {
		t.Fatalf("restart on the same directory: %v", err)
	}
	defer again.Stop()
	c = connect(t, again.URI)
	defer c.Disconnect(ctx)
	var doc struct {
		Stage string `bson:"stage"`
	}
	err = c.Database("tuntas").Collection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: "case-1"}}).Decode(&doc)
	if err != nil || doc.Stage != "collecting" {
		t.Fatalf("after restart: %+v, %v; want the stored case", doc, err)
	}
}

func TestStartNeedsADirectory(t *testing.T) {
	if f, err := ferret.Start(ferret.Options{}); err == nil {
		f.Stop()
		t.Fatal("started without a directory")
	}
}

func connect(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
