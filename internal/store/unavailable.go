package store

import (
	"errors"
	"io"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// Unavailable reports whether err says MongoDB could not be reached or
// did not answer: no server to select, a connection refused or dropped
// mid-operation, an operation that timed out, or FerretDB's database
// behind it gone (see backendGone). Such a failure is an outage that a
// retry later gets past, never a fault of the request.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	return mongo.IsTimeout(err) || mongo.IsNetworkError(err) ||
		errors.As(err, new(topology.ServerSelectionError)) || errors.As(err, new(topology.ConnectionError)) ||
		errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		backendGone(err)
}

// ferretInternalError is the code FerretDB answers with when its backend
// fails: MongoDB's InternalError.
const ferretInternalError = 1

// backendLost are what FerretDB's InternalError says when it lost its
// PostgreSQL or could not reach it: the connection dropped mid-command
// (PostgreSQL stopped or restarted), refused or reset, or PostgreSQL
// ending connections (SQLSTATE 57P01 administrator command, 57P02 crash
// of another process) or not yet taking them (57P03, starting up or in
// recovery).
var backendLost = []string{"unexpected EOF", "connection refused", "connection reset", "broken pipe",
	"failed to connect", "conn closed", "SQLSTATE 57P01", "SQLSTATE 57P02", "SQLSTATE 57P03"}

// backendGone reports whether err is FerretDB's InternalError for a
// PostgreSQL it lost: the MongoDB endpoint answered, but nothing behind it
// does (seen when the cluster's PostgreSQL restarts: "(InternalError)
// [msg_insert.go:168 handler.(*Handler).MsgInsert] unexpected EOF").
func backendGone(err error) bool {
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != ferretInternalError {
		return false
	}
	for _, s := range backendLost {
		if strings.Contains(ce.Message, s) {
			return true
		}
	}
	return false
}
