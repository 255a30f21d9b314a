# Tuntas: `make run` starts everything on embedded servers; `make test` passes every test.
GO ?= go
DATA ?= .tuntas

.PHONY: run test vet lint build clean chaos

run:
	$(GO) run ./cmd/tuntas dev --data $(DATA)

test: vet
	$(GO) test -race -timeout 45m ./...

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

# The chaos run: the production topology on this machine under faults (see docs/operations.md).
chaos: build
	bin/tuntas chaos

clean:
	rm -rf bin $(DATA)
