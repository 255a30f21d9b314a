// Package systemtest holds the system tests of Tuntas: they start the
// whole system as `tuntas-dev dev` does (package devsystem), on embedded
// Temporal and FerretDB, and drive it through its HTTP API, its console,
// Temporal itself and the command sets of both binaries, as the people,
// the processes and the operators do. The chaos test runs this test binary
// as tuntas-dev (see TestMain).
package systemtest
