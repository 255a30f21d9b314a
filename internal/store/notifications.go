package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Collections of notifications: one document per reminder or escalation
// (written by the case's Notify activity) and one read marker per person
// (written only by that person's requests), so each document has one
// writer and nothing needs a transaction.
const (
	Notifications     = "notifications"
	NotificationReads = "notification_reads"
)

// Notification is a reminder or escalation addressed to a role in a region.
// Notify fills in its ID and Regions.
type Notification struct {
	ID      string         `bson:"_id" json:"id"`
	CaseID  string         `json:"caseId"`
	Seq     int64          `json:"seq"`
	To      household.Role `json:"to"`
	Region  string         `json:"region"`
	Message string         `json:"message"`
	At      time.Time      `json:"at"`
	// Key and Args say the message in a reader's language (see
	// household.Msg); HeadName names the household.
	Key      string          `json:"key,omitempty"`
	Args     []household.Arg `json:"args,omitempty"`
	HeadName string          `json:"headName,omitempty"`
	// Regions is the addressee region's path, so that a person's scope is
	// one equality match.
	Regions []string `bson:"regions" json:"-"`
	// Agencies, on a notification to agencies, are the ones it concerns.
	Agencies []string `bson:"agencies,omitempty" json:"-"`
}

// Notify stores n once: its _id is the case and the event sequence, so a
// retried activity inserts nothing new.
func (s *Store) Notify(ctx context.Context, n Notification) error {
	var path []string
	for code := n.Region; code != ""; code = region.ParentCode(code) {
		path = append([]string{code}, path...)
	}
	n.ID, n.Regions, n.At = eventID(n.CaseID, n.Seq), path, n.At.UTC()
	_, err := s.db.Collection(Notifications).InsertOne(ctx, n)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store: notify: %w", err)
	}
	return nil
}

// NotificationsFor returns, newest first, up to limit notifications for a
// person of role in scope: those addressed to their role in their region
// or in a region above it (a village officer sees what is addressed to
// their village); an agency sees only those that concern it. Admin sees
// every notification in scope.
func (s *Store) NotificationsFor(ctx context.Context, role household.Role, scope, agency string, limit int) ([]Notification, error) {
	q := bson.D{{Key: "regions", Value: scope}}
	if role != household.RoleAdmin {
		var up bson.A
		for code := scope; code != ""; code = region.ParentCode(code) {
			up = append(up, code)
		}
		q = bson.D{{Key: "to", Value: string(role)}, {Key: "region", Value: bson.D{{Key: "$in", Value: up}}}}
		if role == household.RoleAgency {
			q = append(q, bson.E{Key: "agencies", Value: agency})
		}
	}
	cur, err := s.db.Collection(Notifications).Find(ctx, q, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("store: notifications: %w", err)
	}
	out := []Notification{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: notifications: %w", err)
	}
	return out, nil
}

// readMarker is a person's read marker: every notification up to At is read.
type readMarker struct {
	Sub string    `bson:"_id"`
	At  time.Time `bson:"at"`
}

// NotificationsReadAt is when sub last marked their notifications read
// (zero if never).
func (s *Store) NotificationsReadAt(ctx context.Context, sub string) (time.Time, error) {
	var m readMarker
	err := s.db.Collection(NotificationReads).FindOne(ctx, bson.D{{Key: "_id", Value: sub}}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: notification marker: %w", err)
	}
	return m.At, nil
}

// MarkNotificationsRead records that sub has read every notification up to at.
func (s *Store) MarkNotificationsRead(ctx context.Context, sub string, at time.Time) error {
	_, err := s.db.Collection(NotificationReads).ReplaceOne(ctx, bson.D{{Key: "_id", Value: sub}},
		readMarker{Sub: sub, At: at.UTC()}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: mark notifications read: %w", err)
	}
	return nil
}
