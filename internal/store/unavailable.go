package store

import (
	"errors"
	"io"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// Unavailable reports whether err says MongoDB could not be reached or
// did not answer: no server to select, a connection refused or dropped
// mid-operation, an operation that timed out. Such a failure is an outage
// that a retry later gets past, never a fault of the request.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	return mongo.IsTimeout(err) || mongo.IsNetworkError(err) ||
		errors.As(err, new(topology.ServerSelectionError)) || errors.As(err, new(topology.ConnectionError)) ||
		errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
