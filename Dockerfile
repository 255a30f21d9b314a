# One image for both production processes: `tuntas api` and `tuntas worker`.
# It holds cmd/tuntas alone, which links neither the embedded Temporal
# server nor FerretDB nor the bench (those are cmd/tuntas-dev's).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tuntas ./cmd/tuntas

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tuntas /usr/local/bin/tuntas
ENTRYPOINT ["/usr/local/bin/tuntas"]
