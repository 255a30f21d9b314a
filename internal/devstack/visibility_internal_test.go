package devstack

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// visibilityIndexes lists the indexes of the visibility table.
func visibilityIndexes(t *testing.T, path string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM pragma_index_list('executions_visibility')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names[n] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestPruneVisibilityIndexesKeepsTheMappedAndTheSystemOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), VisibilityDB)
	if err := sqliteschema.SetupSchema(sqliteConfig(path)); err != nil {
		t.Fatal(err)
	}
	before := visibilityIndexes(t, path)
	dropped, err := pruneVisibilityIndexes(context.Background(), path, map[string]string{"Keyword03": "TuntasStage", "Bool01": "TuntasEscalated"})
	if err != nil {
		t.Fatal(err)
	}
	after := visibilityIndexes(t, path)
	t.Logf("%d indexes, %d dropped", len(before), dropped)
	if len(before)-len(after) != dropped || dropped == 0 {
		t.Fatalf("%d indexes before, %d after, %d said dropped", len(before), len(after), dropped)
	}
	tests := []struct {
		index string
		kept  bool
	}{
		{"by_keyword_03", true}, // mapped
		{"by_bool_01", true},    // mapped
		{"by_status", true},     // the server's own listing
		{"by_workflow_id", true},
		{"by_batcher_user", true}, // a predefined attribute
		{"by_keyword_01", false},  // not mapped
		{"by_int_02", false},
		{"by_datetime_03", false},
		{"by_temporal_keyword_01", false}, // reserved for CHASM
	}
	for _, tt := range tests {
		if !before[tt.index] {
			t.Errorf("%s: not in Temporal's schema; the test needs a new example", tt.index)
			continue
		}
		if after[tt.index] != tt.kept {
			t.Errorf("%s: kept %t, want %t", tt.index, after[tt.index], tt.kept)
		}
	}
}
