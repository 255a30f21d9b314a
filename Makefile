# Tuntas: `make run` starts everything on embedded servers; `make test` passes every test.
GO ?= go
DATA ?= .tuntas

.PHONY: run test vet lint build clean chaos cluster

# The dev binary, tuntas-dev, runs the whole system in one process on
# embedded Temporal and FerretDB; the production binary, tuntas, does not
# carry them.
run:
	$(GO) run ./cmd/tuntas-dev dev --data $(DATA)

# go test would run a part of vet again on every package: vet ran in full
# just before, so the tests skip it.
test: vet
	$(GO) test -race -vet=off -timeout 45m ./...

vet:
	$(GO) vet ./...

# lint fails on unformatted code and on a go.mod or go.sum that `go mod
# tidy` would change (it prints the change). go vet runs with the tests
# (make test), so that CI, which runs both, vets once.
lint:
	test -z "$$(gofmt -l .)" || (gofmt -l . && false)
	$(GO) mod tidy -diff

build:
	$(GO) build -o bin/tuntas ./cmd/tuntas
	$(GO) build -o bin/tuntas-dev ./cmd/tuntas-dev

# The chaos run: the production topology on this machine under faults (see docs/operations.md).
chaos:
	$(GO) build -o bin/tuntas-dev ./cmd/tuntas-dev
	bin/tuntas-dev chaos

# The production topology on this machine: PostgreSQL, Temporal's own
# services (two history hosts), FerretDB on PostgreSQL, two workers and two
# APIs, until Ctrl-C (see docs/operations.md, "The cluster").
cluster:
	$(GO) build -o bin/tuntas-dev ./cmd/tuntas-dev
	bin/tuntas-dev cluster

clean:
	rm -rf bin $(DATA)
