// Package store owns the MongoDB read model: the cases collection (one
// snapshot per case), the case_events timeline, the record of who read which
// case, the notifications people read, and the queries and dashboard counts
// the API serves. Write-side state kept beside it on the same client lives
// in packages of its own (internal/claims, internal/idempotency,
// internal/imports). It keeps to what both MongoDB 7 and FerretDB v1.24.2
// do correctly: no transactions, one accumulator per $group, one writer per
// document.
package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Collection names.
const (
	Cases         = "cases"
	CaseSummaries = "case_summaries"
	CaseEvents    = "case_events"
	CaseReads     = "case_reads"
)

// ErrNotFound is returned for a case that does not exist.
var ErrNotFound = errors.New("store: not found")

// opTimeout bounds every single operation.
const opTimeout = 15 * time.Second

// Store is the read model on one database.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	feedState
}

// Connect opens a client to uri and uses database db.
func Connect(ctx context.Context, uri, db string) (*Store, error) {
	opts := options.Client().ApplyURI(uri).
		SetBSONOptions(&options.BSONOptions{UseJSONStructTags: true}).
		SetTimeout(opTimeout).
		SetServerSelectionTimeout(10 * time.Second)
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return &Store{client: client, db: client.Database(db)}, nil
}

// Close stops the feed writer and disconnects.
func (s *Store) Close(ctx context.Context) error {
	s.closeFeed()
	return s.client.Disconnect(ctx)
}

// Database is the store's database, for the packages that keep write-side
// state beside the read model on the same client (one client per process);
// Close disconnects it.
func (s *Store) Database() *mongo.Database { return s.db }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx, readpref.Primary()) }

// Version returns the server's reported version (FerretDB reports the
// MongoDB version it emulates, and its own in ferretdbVersion).
func (s *Store) Version(ctx context.Context) (string, error) {
	var info struct {
		Version         string `bson:"version"`
		FerretDBVersion string `bson:"ferretdbVersion"`
	}
	if err := s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return "", fmt.Errorf("store: buildInfo: %w", err)
	}
	if info.FerretDBVersion != "" {
		return "FerretDB " + info.FerretDBVersion + " (MongoDB " + info.Version + " protocol)", nil
	}
	return "MongoDB " + info.Version, nil
}

// isFerretDB reports whether the server is FerretDB (its buildInfo names
// its own version beside the MongoDB one it speaks).
func (s *Store) isFerretDB(ctx context.Context) (bool, error) {
	v, err := s.Version(ctx)
	if err != nil {
		return false, err
	}
	return strings.HasPrefix(v, "FerretDB "), nil
}

// collections are created up front, so that an embedded store can index
// them at start.
var collections = []string{Cases, CaseSummaries, CaseEvents, CaseReads,
	Notifications, NotificationReads, FeedPages, FeedWriters, Sessions, CaseFacts, ProgressPoints, Proposals, Objections,
	IndexSnapshots, IndexChunks}

// EnsureIndexes creates the collections and the indexes the queries use;
// safe to call on every start.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	have, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("store: list collections: %w", err)
	}
	for _, name := range collections {
		if slices.Contains(have, name) {
			continue
		}
		if err := s.db.CreateCollection(ctx, name); err != nil {
			return fmt.Errorf("store: create %s: %w", name, err)
		}
	}
	ferret, err := s.isFerretDB(ctx)
	if err != nil {
		return err
	}
	idx := []struct {
		coll  string
		model mongo.IndexModel
		// unboundedArray marks an index over an array field of any length.
		// MongoDB indexes each element (a multikey index); FerretDB v1.24
		// indexes the whole array as one value, which on PostgreSQL must
		// fit a btree row (2,704 bytes): the record of a list page of 200
		// cases did not (SQLSTATE 54000), and the page failed with a 500.
		// Such an index serves no query of one element on FerretDB
		// anyway, so it is made on MongoDB alone.
		unboundedArray bool
	}{
		{CaseEvents, mongo.IndexModel{Keys: bson.D{{Key: "caseId", Value: 1}, {Key: "seq", Value: 1}}, Options: options.Index().SetUnique(true).SetName("case_seq")}, false},
		{CaseSummaries, mongo.IndexModel{Keys: bson.D{{Key: "regions", Value: 1}}, Options: options.Index().SetName("regions")}, false},
		{CaseSummaries, mongo.IndexModel{Keys: bson.D{{Key: "kk", Value: 1}}, Options: options.Index().SetName("kk")}, false},
		{CaseFacts, mongo.IndexModel{Keys: bson.D{{Key: "regions", Value: 1}}, Options: options.Index().SetName("regions")}, false},
		{CaseSummaries, mongo.IndexModel{Keys: bson.D{{Key: "agencies", Value: 1}}, Options: options.Index().SetName("agencies")}, false},
		{CaseSummaries, mongo.IndexModel{Keys: bson.D{{Key: "transferRegions", Value: 1}}, Options: options.Index().SetName("transferRegions")}, false},
		{CaseSummaries, mongo.IndexModel{Keys: bson.D{{Key: "openedAt", Value: -1}, {Key: "_id", Value: 1}}, Options: options.Index().SetName("order")}, false},
		{CaseReads, mongo.IndexModel{Keys: bson.D{{Key: "caseId", Value: 1}}, Options: options.Index().SetName("case")}, false},
		{CaseReads, mongo.IndexModel{Keys: bson.D{{Key: "caseIds", Value: 1}}, Options: options.Index().SetName("listed")}, true},
		{Notifications, mongo.IndexModel{Keys: bson.D{{Key: "to", Value: 1}, {Key: "region", Value: 1}, {Key: "at", Value: -1}}, Options: options.Index().SetName("to_region_at")}, false},
		{Sessions, mongo.IndexModel{Keys: bson.D{{Key: "expires", Value: 1}}, Options: options.Index().SetName("expires")}, false},
	}
	for _, i := range idx {
		if i.unboundedArray && ferret {
			continue
		}
		if _, err := s.db.Collection(i.coll).Indexes().CreateOne(ctx, i.model); err != nil {
			return fmt.Errorf("store: index on %s: %w", i.coll, err)
		}
	}
	return nil
}

// caseDoc is a case as stored in cases: the whole snapshot, read by _id.
type caseDoc struct {
	ID   string         `bson:"_id"`
	Case household.Case `bson:",inline"`
}

func newCaseDoc(c household.Case) caseDoc { return caseDoc{ID: c.ID, Case: c} }

// Summary is a case as lists and the dashboard read it, from
// case_summaries: a tenth of the snapshot's size, because FerretDB decodes
// every document a filtered query or an aggregation touches.
type Summary struct {
	ID           string            `bson:"_id" json:"id"`
	KK           string            `json:"kk"`
	HeadNIK      string            `json:"headNik"`
	HeadName     string            `json:"headName"`
	VillageCode  string            `json:"villageCode"`
	DistrictCode string            `json:"districtCode"`
	RegencyCode  string            `json:"regencyCode"`
	Source       household.Source  `json:"source"`
	Stage        household.Stage   `json:"stage"`
	Status       household.Status  `json:"status"`
	Outcome      household.Outcome `json:"outcome,omitempty"`
	Overdue      bool              `json:"overdue"`
	Escalated    bool              `json:"escalated"`
	OpenedAt     time.Time         `json:"openedAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	Deadline     time.Time         `json:"deadline,omitzero"`
	MemberCount  int               `json:"memberCount"`
	Version      int64             `json:"version"`
	// Regions is the case's region path, province to village, so a scope
	// filter at any level is one equality match.
	Regions []string `bson:"regions" json:"-"`
	// OpenDuplicates counts the case's possible duplicates awaiting a
	// supervisor.
	OpenDuplicates int `bson:"openDuplicates" json:"openDuplicates"`
	// Agencies are the agencies holding an intervention of the case: an
	// agency lists only those cases.
	Agencies []string `bson:"agencies,omitempty" json:"-"`
	// AgencyWork is what the agencies still have to do on the case, as
	// "agency/status" of each intervention assigned (to acknowledge) or
	// acknowledged (to deliver): an agency's work queue lists by it.
	AgencyWork []string `bson:"agencyWork,omitempty" json:"-"`
	// Surveyed counts the survey's members, and FindingCommits the
	// versions the case's possible duplicates made: what a list shows
	// those who do not resolve findings, so that neither the count nor
	// the version tells them a person is held elsewhere.
	Surveyed       int   `bson:"surveyed" json:"-"`
	FindingCommits int64 `bson:"findingCommits" json:"-"`
	// TransferTo is the village a pending transfer would move the case
	// to, and TransferRegions its region path: the receiving region's
	// supervisors list the case by it ("Perpindahan masuk").
	// TransferDeadline is when their answer is due.
	TransferTo       string    `bson:"transferTo,omitempty" json:"transferTo,omitempty"`
	TransferRegions  []string  `bson:"transferRegions,omitempty" json:"-"`
	TransferDeadline time.Time `json:"transferDeadline,omitzero"`
	// WorkflowID is the case's workflow (household.Case.WorkflowID).
	WorkflowID string `bson:"workflowId,omitempty" json:"-"`
}

// SummaryOf is the summary the store keeps of c.
func SummaryOf(c household.Case) Summary { return newSummary(c) }

// regionPath is a region's path, province to code.
func regionPath(code string) []string {
	var path []string
	for ; code != ""; code = region.ParentCode(code) {
		path = append([]string{code}, path...)
	}
	return path
}

func newSummary(c household.Case) Summary {
	path := regionPath(c.VillageCode)
	// People, not members: a person another case holds is counted there,
	// so the remaining people count each person once.
	members := c.People()
	var agencies, work []string
	for _, iv := range c.Interventions {
		if iv.Status != household.InterventionMoved && !slices.Contains(agencies, iv.Agency) {
			agencies = append(agencies, iv.Agency)
		}
		if iv.Status == household.InterventionAssigned || iv.Status == household.InterventionAcknowledged {
			if w := agencyWork(iv.Agency, iv.Status); !slices.Contains(work, w) {
				work = append(work, w)
			}
		}
	}
	surveyed := 0
	if c.Survey != nil {
		surveyed = len(c.Survey.Members)
	}
	var to string
	var toPath []string
	var due time.Time
	if to = c.IncomingTo(); to != "" {
		toPath = regionPath(to)
		t, _ := c.PendingTransfer()
		due = t.Deadline
	}
	return Summary{TransferTo: to, TransferRegions: toPath, TransferDeadline: due, Agencies: agencies, AgencyWork: work, OpenDuplicates: c.OpenDuplicates(), Surveyed: surveyed, FindingCommits: c.FindingCommits(), ID: c.ID, KK: c.KK, WorkflowID: c.WorkflowID, HeadNIK: c.HeadNIK, HeadName: c.HeadName, VillageCode: c.VillageCode,
		DistrictCode: c.DistrictCode, RegencyCode: c.RegencyCode, Source: c.Source, Stage: c.Stage, Status: c.Status,
		Outcome: c.Outcome, Overdue: c.Overdue, Escalated: c.Escalated, OpenedAt: c.OpenedAt, UpdatedAt: c.UpdatedAt,
		Deadline: c.Deadline, MemberCount: members, Version: c.Version, Regions: path}
}

// agencyWork is an entry of Summary.AgencyWork.
func agencyWork(agency string, status household.InterventionStatus) string {
	return agency + "/" + string(status)
}

// SaveCase writes the summary and the snapshot unless the stored summary
// has a higher version. The same version is written again: a workflow
// task retried after its projection landed (its worker or the servers
// killed) decides that version anew, at another time, and only the
// retry's decision is in the workflow's history. Every filter is on _id
// alone, the only filter FerretDB v1.24 evaluates in SQLite rather than by
// decoding every document (a conditional update on {_id, version} made
// each write scan the whole collection: 50% of the CPU in a 500-case
// bench). The version is read from the summary, which is written first:
// it is never older than the snapshot, and FerretDB decodes a few hundred
// bytes for it instead of the whole case. The check and the write are two
// steps; that is safe because the case's own workflow is the only writer
// and projects one version at a time; a late duplicate of an older attempt
// finds the newer version and changes nothing.
func (s *Store) SaveCase(ctx context.Context, c household.Case) error {
	newer, err := s.storedNewer(ctx, c)
	if err != nil || newer {
		return err
	}
	return s.replaceCase(ctx, c, nil)
}

// storedNewer says whether the stored snapshot of c has a higher version.
func (s *Store) storedNewer(ctx context.Context, c household.Case) (bool, error) {
	var stored struct {
		Version int64 `bson:"version"`
	}
	err := s.db.Collection(CaseSummaries).FindOne(ctx, bson.D{{Key: "_id", Value: c.ID}}, options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&stored)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: save case: %w", err)
	}
	return stored.Version > c.Version, nil
}

// SaveProjection writes one step of a case's read model: its events, then
// its snapshot (unless a newer one is stored), as AppendEvents and
// SaveCase would, but with the events' marks and the case's part of its
// facts in one write of the facts document instead of two. It is as
// idempotent as they are.
func (s *Store) SaveProjection(ctx context.Context, c household.Case, events []household.Event) error {
	for _, e := range events {
		if e.CaseID != c.ID { // not one case's step: the general path
			if err := s.AppendEvents(ctx, events); err != nil {
				return err
			}
			return s.SaveCase(ctx, c)
		}
	}
	if err := s.insertEvents(ctx, events); err != nil {
		return err
	}
	newer, err := s.storedNewer(ctx, c)
	if err != nil {
		return err
	}
	if newer {
		return s.setMarks(ctx, events)
	}
	return s.replaceCase(ctx, c, events)
}

// eventDoc is a timeline event as stored; its _id names the case and the
// sequence, so the timeline can be read by _id, the one filter FerretDB
// serves from an index.
type eventDoc struct {
	ID    string          `bson:"_id"`
	Event household.Event `bson:",inline"`
}

func eventID(caseID string, seq int64) string { return fmt.Sprintf("%s/%08d", caseID, seq) }

// AppendEvents inserts events; one whose sequence is stored replaces it
// (see SaveCase: a retried workflow task decides it anew).
func (s *Store) AppendEvents(ctx context.Context, events []household.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := s.setMarks(ctx, events); err != nil {
		return err
	}
	return s.insertEvents(ctx, events)
}

// insertEvents inserts events into the timeline; one whose sequence is
// stored replaces it.
func (s *Store) insertEvents(ctx context.Context, events []household.Event) error {
	if len(events) == 0 {
		return nil
	}
	docs := make([]any, len(events))
	for i, e := range events {
		docs[i] = eventDoc{ID: eventID(e.CaseID, e.Seq), Event: e}
	}
	_, err := s.db.Collection(CaseEvents).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return fmt.Errorf("store: append events: %w", err)
		}
	}
	// A stored sequence is written again: the workflow task that decided
	// it was retried after its projection landed, and only the retry's
	// decision (its times) is in the workflow's history.
	for _, we := range bwe.WriteErrors {
		doc := docs[we.Index].(eventDoc)
		if _, err := s.db.Collection(CaseEvents).ReplaceOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}, doc); err != nil {
			return fmt.Errorf("store: rewrite event: %w", err)
		}
	}
	return nil
}

// Summary returns the summary of one case: what a check of who may act
// on it needs, without decoding the whole case.
func (s *Store) Summary(ctx context.Context, id string) (Summary, error) {
	var sum Summary
	err := s.db.Collection(CaseSummaries).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&sum)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Summary{}, ErrNotFound
	}
	if err != nil {
		return Summary{}, fmt.Errorf("store: case summary %s: %w", id, err)
	}
	return sum, nil
}

// Case returns one case.
func (s *Store) Case(ctx context.Context, id string) (household.Case, error) {
	var doc caseDoc
	err := s.db.Collection(Cases).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return household.Case{}, ErrNotFound
	}
	if err != nil {
		return household.Case{}, fmt.Errorf("store: case %s: %w", id, err)
	}
	return doc.Case, nil
}

// Timeline returns the events 1..seq of a case in order, reading each by
// its _id. Events stored before they were keyed that way are found by the
// (scanning) query on caseId instead.
func (s *Store) Timeline(ctx context.Context, caseID string, seq int64) ([]household.Event, error) {
	events := make([]household.Event, 0, seq)
	for n := int64(1); n <= seq; n++ {
		var doc eventDoc
		err := s.db.Collection(CaseEvents).FindOne(ctx, bson.D{{Key: "_id", Value: eventID(caseID, n)}}).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return s.timelineByQuery(ctx, caseID)
		}
		if err != nil {
			return nil, fmt.Errorf("store: timeline: %w", err)
		}
		events = append(events, doc.Event)
	}
	return events, nil
}

func (s *Store) timelineByQuery(ctx context.Context, caseID string) ([]household.Event, error) {
	cur, err := s.db.Collection(CaseEvents).Find(ctx, bson.D{{Key: "caseId", Value: caseID}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(10_000))
	if err != nil {
		return nil, fmt.Errorf("store: timeline: %w", err)
	}
	events := []household.Event{}
	if err := cur.All(ctx, &events); err != nil {
		return nil, fmt.Errorf("store: timeline: %w", err)
	}
	return events, nil
}

// Filter selects cases for a list.
type Filter struct {
	// Scope is the caller's region; only cases within it are listed.
	Scope string
	// Agency, when set, lists only cases holding one of its interventions.
	Agency string
	// Intervention, with Agency, lists only cases holding one of its
	// interventions in this status (assigned or acknowledged).
	Intervention household.InterventionStatus
	// Duplicates lists only cases with possible duplicates to resolve.
	Duplicates bool
	// Transfer, when set, lists only cases with a transfer pending: into
	// Scope (incoming) or out of the cases within it (outgoing). An
	// incoming case that lies outside Scope is listed only when
	// SeesIncoming is set (the receiving region's supervisors).
	Transfer     household.TransferDirection
	SeesIncoming bool
	District     string
	Village      string
	Stage        household.Stage
	Status       household.Status
	Outcome      household.Outcome
	Escalated    *bool
	Overdue      *bool
	Limit        int
	Cursor       string
}

type cursor struct {
	OpenedAt time.Time `json:"t"`
	ID       string    `json:"i"`
}

// ErrBadCursor is returned for a cursor this store did not issue.
var ErrBadCursor = errors.New("store: malformed cursor")

// decodeCursor reads a cursor of a next page; nil for the first page.
func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
		return nil, ErrBadCursor
	}
	return &c, nil
}

// before reports whether the cursor's case comes before s in list order.
func (c *cursor) before(s Summary) bool {
	return s.OpenedAt.Before(c.OpenedAt) || s.OpenedAt.Equal(c.OpenedAt) && s.ID > c.ID
}

// listOrder is the lists' order: newest first, ties by ID.
func listOrder(a, b Summary) int {
	if c := b.OpenedAt.Compare(a.OpenedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// matches reports whether s passes every filter of f but the cursor and
// limit, as List's query selects.
func (f Filter) matches(s Summary) bool {
	inScope := slices.Contains(s.Regions, f.Scope)
	switch f.Transfer {
	case household.TransferIncoming:
		if !slices.Contains(s.TransferRegions, f.Scope) || !(inScope || f.SeesIncoming) {
			return false
		}
	case household.TransferOutgoing:
		if !inScope || s.TransferTo == "" {
			return false
		}
	default:
		if !inScope {
			return false
		}
	}
	switch {
	case f.Agency != "" && !slices.Contains(s.Agencies, f.Agency),
		f.Agency != "" && f.Intervention != "" && !slices.Contains(s.AgencyWork, agencyWork(f.Agency, f.Intervention)),
		f.Duplicates && s.OpenDuplicates <= 0,
		f.District != "" && s.DistrictCode != f.District,
		f.Village != "" && s.VillageCode != f.Village,
		f.Stage != "" && s.Stage != f.Stage,
		f.Status != "" && s.Status != f.Status,
		f.Outcome != "" && s.Outcome != f.Outcome,
		f.Escalated != nil && s.Escalated != *f.Escalated,
		f.Overdue != nil && s.Overdue != *f.Overdue:
		return false
	}
	return true
}

// Page is one page of a list.
type Page struct {
	Items []Summary
	// Next is the cursor of the next page, "" on the last.
	Next string
	// AsOf is when the read model was read: every change written before it
	// is listed.
	AsOf time.Time
}

// newPage is the first limit of items (in list order, one more if there is
// a next page).
func newPage(items []Summary, limit int, asOf time.Time) Page {
	p := Page{Items: items, AsOf: asOf.UTC()}
	if p.Items == nil {
		p.Items = []Summary{}
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		last := p.Items[len(p.Items)-1]
		raw, _ := json.Marshal(cursor{OpenedAt: last.OpenedAt, ID: last.ID})
		p.Next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return p
}

// List returns a page of case summaries, newest first. On FerretDB it
// scans every summary: the API reads lists from an Index.
func (s *Store) List(ctx context.Context, f Filter) (Page, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	asOf := time.Now()
	var q bson.D
	add := func(key string, v any) { q = append(q, bson.E{Key: key, Value: v}) }
	switch f.Transfer {
	case household.TransferIncoming:
		add("transferRegions", f.Scope)
		if !f.SeesIncoming {
			add("regions", f.Scope)
		}
	case household.TransferOutgoing:
		add("regions", f.Scope)
		add("transferTo", bson.D{{Key: "$exists", Value: true}})
	default:
		add("regions", f.Scope)
	}
	if f.Agency != "" {
		add("agencies", f.Agency)
		if f.Intervention != "" {
			add("agencyWork", agencyWork(f.Agency, f.Intervention))
		}
	}
	if f.Duplicates {
		add("openDuplicates", bson.D{{Key: "$gt", Value: 0}})
	}
	if f.District != "" {
		add("districtCode", f.District)
	}
	if f.Village != "" {
		add("villageCode", f.Village)
	}
	if f.Stage != "" {
		add("stage", string(f.Stage))
	}
	if f.Status != "" {
		add("status", string(f.Status))
	}
	if f.Outcome != "" {
		add("outcome", string(f.Outcome))
	}
	if f.Escalated != nil {
		add("escalated", *f.Escalated)
	}
	if f.Overdue != nil {
		add("overdue", *f.Overdue)
	}
	if after != nil {
		add("$or", bson.A{
			bson.D{{Key: "openedAt", Value: bson.D{{Key: "$lt", Value: after.OpenedAt}}}},
			bson.D{{Key: "openedAt", Value: after.OpenedAt}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: after.ID}}}},
		})
	}
	cur, err := s.db.Collection(CaseSummaries).Find(ctx, q, options.Find().
		SetSort(bson.D{{Key: "openedAt", Value: -1}, {Key: "_id", Value: 1}}).
		SetLimit(int64(f.Limit)+1))
	if err != nil {
		return Page{}, fmt.Errorf("store: list: %w", err)
	}
	docs := []Summary{}
	if err := cur.All(ctx, &docs); err != nil {
		return Page{}, fmt.Errorf("store: list: %w", err)
	}
	return newPage(docs, f.Limit, asOf), nil
}

// ReplaceCase writes the snapshot and its summary whatever the stored
// version: SaveCase after its check, and reconciliation to repair a
// snapshot that diverged.
func (s *Store) ReplaceCase(ctx context.Context, c household.Case) error {
	return s.replaceCase(ctx, c, nil)
}

// replaceCase is ReplaceCase, writing the marks of events of c (if any)
// with its facts.
func (s *Store) replaceCase(ctx context.Context, c household.Case, events []household.Event) error {
	byID := bson.D{{Key: "_id", Value: c.ID}}
	upsert := options.Replace().SetUpsert(true)
	// The summary first: SaveCase reads the version there.
	sum := newSummary(c)
	if _, err := s.db.Collection(CaseSummaries).ReplaceOne(ctx, byID, sum, upsert); err != nil {
		return fmt.Errorf("store: replace case summary: %w", err)
	}
	if _, err := s.db.Collection(Cases).ReplaceOne(ctx, byID, newCaseDoc(c), upsert); err != nil {
		return fmt.Errorf("store: replace case: %w", err)
	}
	if err := s.setFactsOfCase(ctx, c, sum.Regions, events); err != nil {
		return err
	}
	return s.publish(ctx, sum)
}

// RepairOlder writes c where the stored snapshot is missing or older, in
// one conditional write (never the read-then-write of SaveCase, which a
// projection landing in between could see undone), and reports whether it
// wrote.
func (s *Store) RepairOlder(ctx context.Context, c household.Case) (bool, error) {
	older := bson.D{{Key: "_id", Value: c.ID}, {Key: "version", Value: bson.D{{Key: "$lt", Value: c.Version}}}}
	res, err := s.db.Collection(Cases).ReplaceOne(ctx, older, newCaseDoc(c))
	if err != nil {
		return false, fmt.Errorf("store: repair older case: %w", err)
	}
	if res.MatchedCount == 0 {
		if _, err := s.db.Collection(Cases).InsertOne(ctx, newCaseDoc(c)); mongo.IsDuplicateKeyError(err) {
			return false, nil // a snapshot as new or newer exists now
		} else if err != nil {
			return false, fmt.Errorf("store: repair missing case: %w", err)
		}
	}
	return true, s.repairSummary(ctx, newSummary(c))
}

// repairSummary writes the summary of a repaired snapshot where the stored
// one is missing or not newer, in one conditional write, and publishes it.
// A repair runs beside the live projection: written blindly, a summary
// older than the snapshot would let a late SaveCase of that older version
// pass its check (SaveCase reads the version in the summary) and put the
// older snapshot back. The filter beyond _id makes FerretDB scan the
// summaries; repairs are rare.
func (s *Store) repairSummary(ctx context.Context, sum Summary) error {
	notNewer := bson.D{{Key: "_id", Value: sum.ID}, {Key: "version", Value: bson.D{{Key: "$lte", Value: sum.Version}}}}
	_, err := s.db.Collection(CaseSummaries).ReplaceOne(ctx, notNewer, sum, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return nil // a newer summary is stored: the live projection went on
	}
	if err != nil {
		return fmt.Errorf("store: repair case summary: %w", err)
	}
	return s.publish(ctx, sum)
}

// RepairCase rewrites the snapshot and summary of c only where the stored
// ones are at c's version, and reports whether it wrote: a repair must
// never put back an older state over a newer projection.
func (s *Store) RepairCase(ctx context.Context, c household.Case) (bool, error) {
	atVersion := bson.D{{Key: "_id", Value: c.ID}, {Key: "version", Value: c.Version}}
	res, err := s.db.Collection(Cases).ReplaceOne(ctx, atVersion, newCaseDoc(c))
	if err != nil {
		return false, fmt.Errorf("store: repair case: %w", err)
	}
	if res.MatchedCount == 0 {
		return false, nil
	}
	return true, s.repairSummary(ctx, newSummary(c))
}

// Normalize returns c as it reads back from the store (times in UTC at
// millisecond precision), for comparing a live case with its snapshot.
func Normalize(c household.Case) household.Case {
	var buf bytes.Buffer
	enc := bson.NewEncoder(bson.NewDocumentWriter(&buf))
	enc.UseJSONStructTags()
	if err := enc.Encode(newCaseDoc(c)); err != nil {
		return c
	}
	dec := bson.NewDecoder(bson.NewDocumentReader(&buf))
	dec.UseJSONStructTags()
	var doc caseDoc
	if err := dec.Decode(&doc); err != nil {
		return c
	}
	return doc.Case
}
