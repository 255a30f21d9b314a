package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The change feed tells every API process's Index which summaries changed,
// without a query that scans (FerretDB v1.24 evaluates any filter but a
// lone _id by decoding every document of the collection, about 0.1 ms
// each). Every process that writes summaries is a feed writer: it numbers
// pages of the summaries it wrote, 1, 2, 3…, and stores each page under
// an _id made of its own name and the number, so a reader fetches the next
// page of each writer by _id. feed_writers, a few documents, one per
// writer (each written by its writer alone), tells readers which writers
// exist and which pages they keep.
const (
	FeedPages   = "feed_pages"
	FeedWriters = "feed_writers"
)

// feedPage is one page of a writer's feed.
type feedPage struct {
	ID        string    `bson:"_id"`
	At        time.Time `bson:"at"`
	Summaries []Summary `bson:"s"`
}

// feedWriterDoc is a writer's record: its pages First..Last are stored
// (Last 0: none yet); At is when it last wrote or said it lives.
type feedWriterDoc struct {
	ID    string    `bson:"_id"`
	First int64     `bson:"first"`
	Last  int64     `bson:"last"`
	At    time.Time `bson:"at"`
}

const (
	// feedKeep is how long a writer keeps its pages: an index behind by
	// more than that loads every summary again.
	feedKeep = 10 * time.Minute
	// writerBeat is how often an idle writer says it lives; one silent for
	// writerGone has stopped, and readers remove its pages.
	writerBeat = time.Minute
	writerGone = feedKeep + 5*writerBeat
	// pageMax bounds a page (a summary is a few hundred bytes).
	pageMax = 500
)

func pageID(writer string, n int64) string { return fmt.Sprintf("%s/%012d", writer, n) }

// errClosed answers a publication after the store closed.
var errClosed = errors.New("store: closed")

// publication is a summary waiting for its page.
type publication struct {
	sum  Summary
	done chan error
}

// feedWriter writes this process's pages, one at a time, each holding
// every summary published while the one before was written.
type feedWriter struct {
	s        *Store
	id       string
	queue    chan publication
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	// Owned by run.
	doc   feedWriterDoc
	times []time.Time // when pages doc.First..doc.Last were written
	// owed are summaries already in case_summaries whose page could not be
	// written: they go on the next page, so a summary written is on the
	// feed as long as this process lives, even when its writer gave up
	// waiting (a repair is not written twice, so nothing else would).
	owed map[string]Summary

	// late are summaries whose publisher gave up before run took them (the
	// queue was full, say while the store was away): owed all the same.
	lateMu sync.Mutex
	late   map[string]Summary
	nudge  chan struct{} // a late summary waits
}

// owe adds sum to owed unless a newer version of its case is there.
func owe(owed map[string]Summary, sum Summary) {
	if old, ok := owed[sum.ID]; !ok || old.Version <= sum.Version {
		owed[sum.ID] = sum
	}
}

// giveUp is a publication whose caller stopped waiting before run took it.
func (w *feedWriter) giveUp(sum Summary) {
	w.lateMu.Lock()
	owe(w.late, sum)
	w.lateMu.Unlock()
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

// takeLate moves the late summaries to owed, reporting whether any were.
func (w *feedWriter) takeLate() bool {
	w.lateMu.Lock()
	defer w.lateMu.Unlock()
	for _, sum := range w.late {
		owe(w.owed, sum)
	}
	clear(w.late)
	return len(w.owed) > 0
}

// retryOwed is how soon a page that could not be written is tried again.
const retryOwed = time.Second

// publish puts sum on the feed and returns once its page is stored: a
// projection acknowledged is on the feed, so a list read after it shows it.
func (s *Store) publish(ctx context.Context, sum Summary) error {
	s.feedOnce.Do(func() {
		s.feed = &feedWriter{s: s, id: "w-" + randomID(), queue: make(chan publication, pageMax),
			stop: make(chan struct{}), done: make(chan struct{}), owed: map[string]Summary{}, late: map[string]Summary{},
			nudge: make(chan struct{}, 1)}
		go s.feed.run()
	})
	w := s.feed
	if w == nil { // closed before anything was published
		return errClosed
	}
	p := publication{sum: sum, done: make(chan error, 1)}
	select {
	case w.queue <- p:
	case <-w.stop:
		return errClosed
	case <-ctx.Done():
		w.giveUp(sum)
		return fmt.Errorf("store: publish %s: %w", sum.ID, ctx.Err())
	}
	select {
	case err := <-p.done:
		return err
	case <-w.done:
		// The writer answers what it took before it ends; what it did
		// not take was not written.
		select {
		case err := <-p.done:
			return err
		default:
			return errClosed
		}
	case <-ctx.Done():
		return fmt.Errorf("store: publish %s: %w", sum.ID, ctx.Err())
	}
}

// closeFeed stops the writer, if this store has one; closing twice is
// harmless.
func (s *Store) closeFeed() {
	s.feedOnce.Do(func() {}) // no writer starts after this
	if s.feed == nil {
		return
	}
	s.feed.stopOnce.Do(func() { close(s.feed.stop) })
	<-s.feed.done
}

func (w *feedWriter) run() {
	defer close(w.done)
	beat := time.NewTicker(writerBeat)
	defer beat.Stop()
	for {
		var batch []publication
		var retry <-chan time.Time
		if w.takeLate() {
			retry = time.After(retryOwed)
		}
		select {
		case p := <-w.queue:
			batch = append(batch, p)
		case <-retry:
		case <-w.nudge:
		case <-beat.C:
			if w.doc.ID != "" {
				_ = w.record(time.Now()) // a missed beat is made up by the next
			}
			continue
		case <-w.stop:
			for {
				select {
				case p := <-w.queue:
					p.done <- errClosed
				default:
					return
				}
			}
		}
	more:
		for len(batch) < pageMax {
			select {
			case p := <-w.queue:
				batch = append(batch, p)
			default:
				break more
			}
		}
		for _, p := range batch {
			owe(w.owed, p.sum)
		}
		w.takeLate()
		err := w.write()
		for _, p := range batch {
			p.done <- err
		}
	}
}

// write stores what is owed on pages of at most pageMax, then the
// writer's record, after removing pages older than feedKeep.
func (w *feedWriter) write() error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	now := time.Now().UTC()
	if w.doc.ID == "" {
		// Readers learn of a writer from its record, so it comes first.
		w.doc = feedWriterDoc{ID: w.id, First: 1}
		if err := w.record(now); err != nil {
			w.doc = feedWriterDoc{}
			return err
		}
	}
	ids := make([]string, 0, len(w.owed))
	for id := range w.owed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, pageMax) {
		page := feedPage{At: now, Summaries: make([]Summary, len(chunk))}
		for i, id := range chunk {
			page.Summaries[i] = w.owed[id]
		}
		if err := w.writePage(ctx, page, now); err != nil {
			return err
		}
		for _, id := range chunk {
			delete(w.owed, id)
		}
	}
	for len(w.times) > 1 && now.Sub(w.times[0]) > feedKeep {
		if _, err := w.s.db.Collection(FeedPages).DeleteOne(ctx, bson.D{{Key: "_id", Value: pageID(w.id, w.doc.First)}}); err != nil {
			break // removed at a later page
		}
		w.doc.First, w.times = w.doc.First+1, w.times[1:]
	}
	return w.record(now)
}

// writePage stores page as the writer's next.
func (w *feedWriter) writePage(ctx context.Context, page feedPage, now time.Time) error {
	for {
		n := w.doc.Last + 1
		page.ID = pageID(w.id, n)
		_, err := w.s.db.Collection(FeedPages).InsertOne(ctx, page)
		if mongo.IsDuplicateKeyError(err) {
			// An earlier write of page n landed though it reported an
			// error; what it held is still owed and goes on the next.
			w.doc.Last, w.times = n, append(w.times, now)
			continue
		}
		if err != nil {
			return fmt.Errorf("store: write feed page: %w", err)
		}
		w.doc.Last, w.times = n, append(w.times, now)
		return nil
	}
}

// record stores the writer's record.
func (w *feedWriter) record(now time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	w.doc.At = now
	_, err := w.s.db.Collection(FeedWriters).ReplaceOne(ctx, bson.D{{Key: "_id", Value: w.id}}, w.doc, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: record feed writer: %w", err)
	}
	return nil
}

// feedWriters reads every writer's record.
func (s *Store) feedWriters(ctx context.Context) ([]feedWriterDoc, error) {
	cur, err := s.db.Collection(FeedWriters).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("store: read feed writers: %w", err)
	}
	var out []feedWriterDoc
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: read feed writers: %w", err)
	}
	return out, nil
}

// feedPageOf reads page n of writer, reporting false when it is not
// stored.
func (s *Store) feedPageOf(ctx context.Context, writer string, n int64) (feedPage, bool, error) {
	var p feedPage
	err := s.db.Collection(FeedPages).FindOne(ctx, bson.D{{Key: "_id", Value: pageID(writer, n)}}).Decode(&p)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return feedPage{}, false, nil
	}
	if err != nil {
		return feedPage{}, false, fmt.Errorf("store: read feed page: %w", err)
	}
	return p, true, nil
}

// removeWriter removes a stopped writer's pages, then its record.
func (s *Store) removeWriter(ctx context.Context, w feedWriterDoc) error {
	for n := w.First; n <= w.Last; n++ {
		if _, err := s.db.Collection(FeedPages).DeleteOne(ctx, bson.D{{Key: "_id", Value: pageID(w.ID, n)}}); err != nil {
			return fmt.Errorf("store: remove feed page: %w", err)
		}
	}
	if _, err := s.db.Collection(FeedWriters).DeleteOne(ctx, bson.D{{Key: "_id", Value: w.ID}}); err != nil {
		return fmt.Errorf("store: remove feed writer: %w", err)
	}
	return nil
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

// feedState is a Store's feed writer, started by its first publication.
type feedState struct {
	feedOnce sync.Once
	feed     *feedWriter
}

// randomID is 16 hex digits no other process will draw.
func randomID() string {
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	return hex.EncodeToString(raw[:])
}
