package store_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/store"
)

// errorOf runs one read through a driver client of uri, as the store's
// operations run, and returns its error.
func errorOf(t *testing.T, uri string, within time.Duration, before func()) error {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(within).SetRetryReads(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	if before != nil {
		if err := c.Ping(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		before()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*within)
	defer cancel()
	return c.Database("outage").Collection("cases").FindOne(ctx, bson.D{}).Err()
}

// listen accepts connections and hands each to serve.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			serve(c)
		}
	}()
	return l.Addr().String()
}

// The API answers an outage of MongoDB with 503 and a retry, and anything
// else the store fails with as an internal error; Unavailable is how it
// tells them apart, on the driver's real errors.
func TestUnavailableTellsAnOutageOfMongoDBFromOtherFailures(t *testing.T) {
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		return addr
	}
	var silent []net.Conn
	t.Cleanup(func() {
		for _, c := range silent {
			_ = c.Close()
		}
	})
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want bool
	}{
		{"nothing listens", func(t *testing.T) error {
			return errorOf(t, "mongodb://"+refused()+"/", 300*time.Millisecond, nil)
		}, true},
		{"the server hangs up at once", func(t *testing.T) error {
			return errorOf(t, "mongodb://"+listen(t, func(c net.Conn) { _ = c.Close() })+"/", 300*time.Millisecond, nil)
		}, true},
		{"the server never answers", func(t *testing.T) error {
			return errorOf(t, "mongodb://"+listen(t, func(c net.Conn) { silent = append(silent, c) })+"/", 300*time.Millisecond, nil)
		}, true},
		{"every connection is cut mid-use", func(t *testing.T) error {
			px := toxiproxy.NewProxy(toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop()), "mongodb", "127.0.0.1:0", ferretAddr(t))
			if err := px.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(px.Stop)
			return errorOf(t, "mongodb://"+px.Listen+"/", time.Second, px.Stop)
		}, true},
		{"no such case", func(*testing.T) error { return store.ErrNotFound }, false},
		{"a cursor the store did not issue", func(*testing.T) error { return store.ErrBadCursor }, false},
		{"a command the server refuses", func(t *testing.T) error {
			c, err := mongo.Connect(options.Client().ApplyURI(ferrettest.URI()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
			err = c.Database("outage").RunCommand(context.Background(), bson.D{{Key: "noSuchCommand", Value: 1}}).Err()
			if err == nil {
				t.Fatal("FerretDB ran a command that does not exist")
			}
			return err
		}, false},
		{"a failure of another kind", func(*testing.T) error { return errors.New("decode case: unexpected field") }, false},
		// FerretDB on PostgreSQL answers, but its database is gone: the
		// error as the cluster's chaos run saw it during a restart of
		// PostgreSQL (systemtest TestChaosCluster meets the real one).
		{"FerretDB lost its PostgreSQL mid-command", func(*testing.T) error {
			return fmt.Errorf("idempotency: begin request: %w", mongo.CommandError{Code: 1, Name: "InternalError",
				Message: "[msg_insert.go:168 handler.(*Handler).MsgInsert] unexpected EOF"})
		}, true},
		{"FerretDB's PostgreSQL recovering", func(*testing.T) error {
			return mongo.CommandError{Code: 1, Name: "InternalError",
				Message: "[pool.go:120 pool.Get] FATAL: the database system is in recovery mode (SQLSTATE 57P03)"}
		}, true},
		{"another internal error of FerretDB", func(*testing.T) error {
			return mongo.CommandError{Code: 1, Name: "InternalError", Message: "[msg_find.go:80 handler.MsgFind] invalid document"}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			if got := store.Unavailable(err); got != tt.want {
				t.Fatalf("Unavailable(%v) = %v, want %v", err, got, tt.want)
			}
		})
	}
}

// ferretAddr is the host:port of the package's FerretDB.
func ferretAddr(t *testing.T) string {
	t.Helper()
	opts := options.Client().ApplyURI(ferrettest.URI())
	if len(opts.Hosts) != 1 {
		t.Fatalf("FerretDB URI %s", ferrettest.URI())
	}
	return opts.Hosts[0]
}
