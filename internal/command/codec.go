package command

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/codecserver"
	"github.com/tuntas-id/tuntas/internal/server"
	"github.com/tuntas-id/tuntas/internal/store"
)

// CodecServer is `tuntas codec-server`: Temporal's remote codec endpoint
// for the Web UI and the CLI, so that an administrator can read a case's
// history. A process of its own rather than a route of `tuntas api`: it
// opens every household's payloads, so it listens only where operators
// reach it (beside the Web UI, never on the API's public address), it
// takes tokens for the UI's audience rather than the console's, and an
// office that never looks inside Temporal does not run it at all. It
// needs the codec key, MongoDB for the record of reads, and the API's
// sign-in settings; not Temporal.
func CodecServer(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("codec-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var si signInFlags
	si.register(fs)
	addr := fs.String("http", envOr("TUNTAS_CODEC_HTTP_ADDR", ":8089"), "listen address (TUNTAS_CODEC_HTTP_ADDR)")
	origins := fs.String("ui-origin", envOr("TUNTAS_CODEC_UI_ORIGIN", ""), "origin of the Temporal Web UI that may call from a browser, e.g. https://temporal.dinsos.example (comma-separated for several); none: only the CLI (TUNTAS_CODEC_UI_ORIGIN)")
	encode := fs.Bool("encode", envBool("TUNTAS_CODEC_ENCODE"), "also answer /encode, so that payloads typed in the Web UI or CLI are sealed: off, since a sealed payload is what a case trusts as Tuntas's own (TUNTAS_CODEC_ENCODE)")
	certFile := fs.String("tls-cert", envOr("TUNTAS_CODEC_TLS_CERT", ""), "PEM certificate to serve HTTPS with; the Web UI passes its access token only over HTTPS (TUNTAS_CODEC_TLS_CERT)")
	keyFile := fs.String("tls-key", envOr("TUNTAS_CODEC_TLS_KEY", ""), "PEM key of --tls-cert (TUNTAS_CODEC_TLS_KEY)")
	codecKey := fs.String("codec-key", envOr("TUNTAS_CODEC_KEY", ""), "payload keys id:base64[,id:base64…], the same as the workers' (TUNTAS_CODEC_KEY)")
	namespace := fs.String("temporal-namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace whose payloads it opens (TEMPORAL_NAMESPACE)")
	mongoURI := fs.String("mongodb-uri", envOr("MONGODB_URI", "mongodb://127.0.0.1:27017/"), "MongoDB connection URI, for the record of reads (MONGODB_URI)")
	mongoDB := fs.String("mongodb-database", envOr("MONGODB_DATABASE", "tuntas"), "MongoDB database (MONGODB_DATABASE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *codecKey == "" {
		return errors.New("TUNTAS_CODEC_KEY (or --codec-key) is required: it is what the codec server opens payloads with")
	}
	ring, err := codec.ParseKeyring(*codecKey)
	if err != nil {
		return err
	}
	allowed, err := codecserver.ParseOrigins(*origins)
	if err != nil {
		return fmt.Errorf("TUNTAS_CODEC_UI_ORIGIN: %w", err)
	}
	var tlsConfig *tls.Config
	switch {
	case *certFile != "" && *keyFile != "":
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("codec server certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case *certFile != "" || *keyFile != "":
		return errors.New("--tls-cert and --tls-key go together")
	}
	logger := jsonLogger(stderr)
	verifier, err := si.verifier(ctx, logger)
	if err != nil {
		return err
	}
	st, err := store.Connect(ctx, *mongoURI, *mongoDB)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(context.WithoutCancel(ctx)) }()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	} else {
		logger.Warn("the codec server serves plain HTTP: the Web UI passes no access token to it (put it behind TLS, or set --tls-cert and --tls-key)")
	}
	if len(allowed) == 0 {
		logger.Warn("TUNTAS_CODEC_UI_ORIGIN is not set: no browser may call, only the CLI")
	}
	logger.Info("codec server listening", "addr", ln.Addr().String(), "namespace", *namespace, "ui_origins", allowed, "encode", *encode)
	h := codecserver.New(codecserver.Config{Codec: codec.New(ring), Namespace: *namespace, Verifier: verifier, Records: st,
		Origins: allowed, Encode: *encode, Logger: logger})
	return server.Serve(ctx, server.HTTPServer(h), ln)
}

// envBool is a boolean environment variable: true, 1, yes (any case).
func envBool(name string) bool {
	v, err := strconv.ParseBool(envOr(name, "false"))
	return err == nil && v
}
