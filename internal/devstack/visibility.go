package devstack

import (
	"context"
	"database/sql"
	"fmt"

	"go.temporal.io/server/common/searchattribute/sadefs"
)

// pruneVisibilityIndexes drops, from a visibility database just set up, the
// indexes of search-attribute columns no query of this stack can use: the
// pre-allocated custom columns the namespace did not map (aliases, by
// column, are the mapped ones) and the columns reserved for CHASM archetypes, which no
// service here runs.
//
// Temporal's SQLite schema indexes each of them, about 30 of its 60
// indexes, and every visibility write (the start and close of each run,
// each upsert of a case's stage) updates every index, even for a NULL.
// Dropping an index never changes an answer: a filter on such a column
// would scan instead.
func pruneVisibilityIndexes(ctx context.Context, path string, aliases map[string]string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	defer db.Close()
	// The column an index leads with after namespace_id (seqno 1).
	rows, err := db.QueryContext(ctx, `SELECT il.name, ii.name FROM pragma_index_list('executions_visibility') AS il
		JOIN pragma_index_info(il.name) AS ii WHERE ii.seqno = 1 AND ii.name IS NOT NULL`)
	if err != nil {
		return 0, fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	custom := sadefs.GetDBIndexSearchAttributes(nil).CustomSearchAttributes
	var drop []string
	for rows.Next() {
		var index, column string
		if err := rows.Scan(&index, &column); err != nil {
			rows.Close()
			return 0, fmt.Errorf("devstack: visibility indexes: %w", err)
		}
		_, preallocated := custom[column]
		_, mapped := aliases[column]
		if (preallocated && !mapped) || sadefs.IsChasmSearchAttribute(column) {
			drop = append(drop, index)
		}
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	for _, index := range drop {
		// Names come from the schema itself, quoted as identifiers.
		if _, err := db.ExecContext(ctx, `DROP INDEX "`+index+`"`); err != nil {
			return 0, fmt.Errorf("devstack: drop visibility index %s: %w", index, err)
		}
	}
	return len(drop), nil
}
