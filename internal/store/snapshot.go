package store

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/household"
)

// An index snapshot is what a read index holds (every summary and every
// case's facts) written back to the store in a few large documents, with
// the feed's positions it holds them as of, so that an index starting in
// another process reads a few dozen documents instead of every summary and
// every facts document (FerretDB decodes each document a query returns:
// 20 s for 50,000 summaries and 55 s for their facts on a loaded machine,
// against half a second for the same cases packed), then follows the feed
// from those positions as if it had loaded then.
//
// A snapshot is usable while its positions can still be followed: a
// writer keeps its pages for feedKeep, so a snapshot is read only within
// snapshotUsable of the moment it was taken, and an index still holding
// every case writes one every snapshotEvery (a head alone when nothing
// changed). Each index writes only its own documents (one writer per
// document); the newest usable snapshot of any index is the one read.
const (
	IndexSnapshots = "index_snapshots" // a head per snapshot: positions, shape, chunks
	IndexChunks    = "index_chunks"    // the cases of a snapshot, chunkCases a document
)

const (
	// snapshotEvery is how old the newest snapshot may grow before an
	// index holding every case writes its own.
	snapshotEvery = 3 * time.Minute
	// snapshotUsable is how old a snapshot may be and still be read: the
	// feed keeps pages for feedKeep, less a margin for the clocks of the
	// writer and the reader.
	snapshotUsable = feedKeep - 2*time.Minute
	// chunkCases bounds the summaries and the facts of one chunk: about
	// 130 KB compressed, a few MB as gob.
	chunkCases = 2000
)

// snapshotHead is a snapshot's head, written after its chunks: a head
// names only chunks already stored.
type snapshotHead struct {
	ID string `bson:"_id"`
	// At is when the read of the feed that Next results from began (the
	// writing index's AsOf, on its clock).
	At time.Time `bson:"at"`
	// Next is the page of each feed writer the snapshot does not hold yet.
	Next []feedPosition `bson:"next"`
	// Shape names the fields of Summary and household.Facts the chunks
	// were encoded with: a snapshot of another shape is not read.
	Shape  string `bson:"shape"`
	Chunks int    `bson:"chunks"`
	Cases  int    `bson:"cases"`
}

// feedPosition is a feed writer's next page.
type feedPosition struct {
	Writer string `bson:"w"`
	Next   int64  `bson:"n"`
}

// chunkDoc is one chunk of a snapshot: a compressed gob of snapshotChunk.
type chunkDoc struct {
	ID   string    `bson:"_id"`
	At   time.Time `bson:"at"` // when it was written, to sweep one whose head never came
	Data []byte    `bson:"d"`
}

// snapshotChunk is the cases of one chunk.
type snapshotChunk struct {
	Summaries []Summary
	Facts     []household.Facts
}

// snapshot is a snapshot's cases as read.
type snapshot struct {
	head      snapshotHead
	summaries []Summary
	facts     []household.Facts
}

func chunkID(snapshot string, n int) string { return fmt.Sprintf("%s/%05d", snapshot, n) }

// snapshotShape names the fields of what a snapshot holds; computed once.
var snapshotShape = shapeOf(reflect.TypeFor[snapshotChunk]())

// shapeOf is a digest of t's fields, their names and types, all the way
// down: a field added, removed, renamed or retyped gives another.
func shapeOf(t reflect.Type) string {
	var b strings.Builder
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		if depth > 16 {
			return
		}
		switch t.Kind() {
		case reflect.Struct:
			if t == reflect.TypeFor[time.Time]() {
				b.WriteString("time")
				return
			}
			b.WriteString("{")
			for i := range t.NumField() {
				f := t.Field(i)
				b.WriteString(f.Name + ":")
				walk(f.Type, depth+1)
				b.WriteString(";")
			}
			b.WriteString("}")
		case reflect.Slice, reflect.Array, reflect.Pointer:
			b.WriteString(t.Kind().String() + " ")
			walk(t.Elem(), depth+1)
		case reflect.Map:
			b.WriteString("map[")
			walk(t.Key(), depth+1)
			b.WriteString("]")
			walk(t.Elem(), depth+1)
		default:
			b.WriteString(t.Kind().String())
		}
	}
	walk(t, 0)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// snapshotHeads reads every head (a few documents).
func (s *Store) snapshotHeads(ctx context.Context) ([]snapshotHead, error) {
	cur, err := s.db.Collection(IndexSnapshots).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("store: read snapshot heads: %w", err)
	}
	var heads []snapshotHead
	if err := cur.All(ctx, &heads); err != nil {
		return nil, fmt.Errorf("store: read snapshot heads: %w", err)
	}
	slices.SortFunc(heads, func(a, b snapshotHead) int { return b.At.Compare(a.At) })
	return heads, nil
}

// usable reports whether h can be read at now: of this shape and young
// enough for its positions to be followed.
func (h snapshotHead) usable(now time.Time) bool {
	return h.Shape == snapshotShape && now.Sub(h.At) <= snapshotUsable
}

// newestSnapshot is the newest usable head at now, if any.
func (s *Store) newestSnapshot(ctx context.Context, now time.Time) (snapshotHead, bool, error) {
	heads, err := s.snapshotHeads(ctx)
	if err != nil {
		return snapshotHead{}, false, err
	}
	for _, h := range heads {
		if h.usable(now) {
			return h, true, nil
		}
	}
	return snapshotHead{}, false, nil
}

// errSnapshotGone is a chunk missing under its head: removed by a sweep
// while it was read.
var errSnapshotGone = errors.New("store: a chunk of the snapshot is gone")

// readSnapshot reads the chunks of h: one at a time from the store, each
// decoded while the next is read (the decoding is most of the work).
func (s *Store) readSnapshot(ctx context.Context, h snapshotHead) (snapshot, error) {
	chunks := make([]snapshotChunk, h.Chunks)
	errs := make([]error, h.Chunks)
	var wg sync.WaitGroup
	decoders := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var readErr error
	for n := range h.Chunks {
		var d chunkDoc
		err := s.db.Collection(IndexChunks).FindOne(ctx, bson.D{{Key: "_id", Value: chunkID(h.ID, n)}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			readErr = fmt.Errorf("%w: %s", errSnapshotGone, chunkID(h.ID, n))
			break
		}
		if err != nil {
			readErr = fmt.Errorf("store: read snapshot %s: %w", h.ID, err)
			break
		}
		decoders <- struct{}{}
		wg.Go(func() {
			defer func() { <-decoders }()
			r := flate.NewReader(bytes.NewReader(d.Data))
			defer r.Close()
			if err := gob.NewDecoder(r).Decode(&chunks[n]); err != nil {
				errs[n] = fmt.Errorf("store: decode snapshot %s: %w", chunkID(h.ID, n), err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append([]error{readErr}, errs...)...); err != nil {
		return snapshot{}, err
	}
	out := snapshot{head: h, summaries: make([]Summary, 0, h.Cases), facts: make([]household.Facts, 0, h.Cases)}
	for _, c := range chunks {
		out.summaries = append(out.summaries, c.Summaries...)
		out.facts = append(out.facts, c.Facts...)
	}
	return out, nil
}

// writeSnapshot stores sums and facts as the chunks of snapshot id, then
// its head (h, with ID, Shape, Chunks and Cases set here).
func (s *Store) writeSnapshot(ctx context.Context, h snapshotHead, sums []Summary, facts []household.Facts) (snapshotHead, error) {
	h.Shape, h.Cases, h.Chunks = snapshotShape, len(sums), 0
	now := time.Now().UTC()
	for i := 0; i < max(len(sums), len(facts)); i += chunkCases {
		c := snapshotChunk{Summaries: sums[min(i, len(sums)):min(i+chunkCases, len(sums))], Facts: facts[min(i, len(facts)):min(i+chunkCases, len(facts))]}
		var buf bytes.Buffer
		zw, err := flate.NewWriter(&buf, flate.BestSpeed)
		if err != nil {
			return h, fmt.Errorf("store: snapshot: %w", err)
		}
		if err := gob.NewEncoder(zw).Encode(c); err != nil {
			return h, fmt.Errorf("store: encode snapshot: %w", err)
		}
		if err := zw.Close(); err != nil {
			return h, fmt.Errorf("store: encode snapshot: %w", err)
		}
		doc := chunkDoc{ID: chunkID(h.ID, h.Chunks), At: now, Data: buf.Bytes()}
		if _, err := s.db.Collection(IndexChunks).ReplaceOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}, doc, options.Replace().SetUpsert(true)); err != nil {
			return h, fmt.Errorf("store: write snapshot chunk: %w", err)
		}
		h.Chunks++
	}
	return h, s.writeHead(ctx, h)
}

// writeHead stores h, replacing the head of the same snapshot.
func (s *Store) writeHead(ctx context.Context, h snapshotHead) error {
	if _, err := s.db.Collection(IndexSnapshots).ReplaceOne(ctx, bson.D{{Key: "_id", Value: h.ID}}, h, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: write snapshot head: %w", err)
	}
	return nil
}

// removeSnapshot removes h's head, then its chunks: a reader never finds a
// head without its chunks, but one reading them may find one gone
// (errSnapshotGone) and loads otherwise.
func (s *Store) removeSnapshot(ctx context.Context, h snapshotHead) error {
	if _, err := s.db.Collection(IndexSnapshots).DeleteOne(ctx, bson.D{{Key: "_id", Value: h.ID}}); err != nil {
		return fmt.Errorf("store: remove snapshot head: %w", err)
	}
	for n := range h.Chunks {
		if _, err := s.db.Collection(IndexChunks).DeleteOne(ctx, bson.D{{Key: "_id", Value: chunkID(h.ID, n)}}); err != nil {
			return fmt.Errorf("store: remove snapshot chunk: %w", err)
		}
	}
	return nil
}

// sweepSnapshots removes, at now, the snapshots no index can use any more
// (too old or of another shape, other than keep), and chunks older than
// that whose head never came or went first (a writer stopped between).
func (s *Store) sweepSnapshots(ctx context.Context, now time.Time, keep string) error {
	heads, err := s.snapshotHeads(ctx)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, h := range heads {
		if h.ID != keep && !h.usable(now) {
			if err := s.removeSnapshot(ctx, h); err != nil {
				return err
			}
			continue
		}
		live[h.ID] = true
	}
	cur, err := s.db.Collection(IndexChunks).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "at", Value: 1}}))
	if err != nil {
		return fmt.Errorf("store: read snapshot chunks: %w", err)
	}
	var chunks []chunkDoc
	if err := cur.All(ctx, &chunks); err != nil {
		return fmt.Errorf("store: read snapshot chunks: %w", err)
	}
	for _, c := range chunks {
		snap, _, _ := strings.Cut(c.ID, "/")
		if live[snap] || now.Sub(c.At) <= feedKeep {
			continue
		}
		if _, err := s.db.Collection(IndexChunks).DeleteOne(ctx, bson.D{{Key: "_id", Value: c.ID}}); err != nil {
			return fmt.Errorf("store: remove snapshot chunk: %w", err)
		}
	}
	return nil
}
