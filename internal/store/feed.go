package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The change feed tells every API process's Index which summaries changed,
// without a query that scans case_summaries (FerretDB v1.24 evaluates any
// filter but a lone _id by decoding every document of the collection).
// case_changes holds one small document per case, replaced by every write
// of its summary; it stays small because the indexes trim what every live
// reader has seen, and a small collection scans in a millisecond or two.
// feed_readers holds one document per reading process: when it last read
// the feed.
const (
	CaseChanges = "case_changes"
	FeedReaders = "feed_readers"
)

// change is a case's entry in the feed: its summary is at version V or
// newer, written at or after At. The server stamps At as it applies the
// write ($currentDate), and readers note when they read by the server's
// clock too (hello's localTime), so no process's clock matters.
type change struct {
	ID      string    `bson:"_id"`
	Version int64     `bson:"v"`
	At      time.Time `bson:"at"`
}

// feedReader is a reading process's last read of the feed.
type feedReader struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

const (
	// feedMargin is how much older than the oldest live reader's last
	// read an entry must be before it is trimmed: more than a write may
	// wait, stamped, for the database's lock before it is visible.
	feedMargin = 5 * time.Second
	// readerLife is how long a reader that stopped reading still holds
	// the feed's entries; a reader that has not read for longer loads
	// every summary again (readerReload), as it may have missed some.
	readerLife   = 2 * time.Minute
	readerReload = readerLife - 30*time.Second
)

// noteChange puts c's entry in the feed. It is written before the summary,
// so that a summary write that fails after it leaves an entry that makes
// readers look again (they fetch until the summary reaches the entry's
// version); the other order could leave a summary no reader ever fetches.
func (s *Store) noteChange(ctx context.Context, id string, version int64) error {
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "v", Value: version}}},
		{Key: "$currentDate", Value: bson.D{{Key: "at", Value: true}}},
	}
	_, err := s.db.Collection(CaseChanges).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: note change of %s: %w", id, err)
	}
	return nil
}

// serverTime is the database server's clock.
func (s *Store) serverTime(ctx context.Context) (time.Time, error) {
	var hello struct {
		LocalTime time.Time `bson:"localTime"`
	}
	if err := s.db.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return time.Time{}, fmt.Errorf("store: server time: %w", err)
	}
	if hello.LocalTime.IsZero() {
		return time.Time{}, fmt.Errorf("store: server time: hello has no localTime")
	}
	return hello.LocalTime, nil
}

// changes reads the whole feed.
func (s *Store) changes(ctx context.Context) ([]change, error) {
	cur, err := s.db.Collection(CaseChanges).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("store: read feed: %w", err)
	}
	var out []change
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: read feed: %w", err)
	}
	return out, nil
}

// summary reads one case's summary by _id.
func (s *Store) summary(ctx context.Context, id string) (Summary, error) {
	var sum Summary
	err := s.db.Collection(CaseSummaries).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&sum)
	if err != nil {
		return Summary{}, fmt.Errorf("store: summary %s: %w", id, err)
	}
	return sum, nil
}

// summaries reads every summary, passing each to fn.
func (s *Store) summaries(ctx context.Context, fn func(Summary)) error {
	cur, err := s.db.Collection(CaseSummaries).Find(ctx, bson.D{}, options.Find().SetBatchSize(2000))
	if err != nil {
		return fmt.Errorf("store: read summaries: %w", err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		var sum Summary
		if err := cur.Decode(&sum); err != nil {
			return fmt.Errorf("store: read summaries: %w", err)
		}
		fn(sum)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("store: read summaries: %w", err)
	}
	return nil
}

// markRead records that reader id read the whole feed as of at.
func (s *Store) markRead(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.Collection(FeedReaders).ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, feedReader{ID: id, At: at}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: mark feed read: %w", err)
	}
	return nil
}

// trimFeed removes the entries every live reader has read (with
// feedMargin to spare) and the records of readers gone for longer than
// readerLife, and reports how many entries it removed; now is the server's
// time.
func (s *Store) trimFeed(ctx context.Context, now time.Time) (int64, error) {
	cur, err := s.db.Collection(FeedReaders).Find(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("store: read feed readers: %w", err)
	}
	var readers []feedReader
	if err := cur.All(ctx, &readers); err != nil {
		return 0, fmt.Errorf("store: read feed readers: %w", err)
	}
	oldest := now
	for _, r := range readers {
		if now.Sub(r.At) > readerLife {
			if _, err := s.db.Collection(FeedReaders).DeleteOne(ctx, bson.D{{Key: "_id", Value: r.ID}}); err != nil {
				return 0, fmt.Errorf("store: forget feed reader: %w", err)
			}
			continue
		}
		if r.At.Before(oldest) {
			oldest = r.At
		}
	}
	res, err := s.db.Collection(CaseChanges).DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: oldest.Add(-feedMargin)}}}})
	if err != nil {
		return 0, fmt.Errorf("store: trim feed: %w", err)
	}
	return res.DeletedCount, nil
}
