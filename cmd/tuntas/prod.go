package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// prodFlags are the flags shared by `api`, `worker` and `reconcile`, each
// falling back to its environment variable.
type prodFlags struct {
	backend
	CodecKey string
}

func (p *prodFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.TemporalAddress, "temporal-address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (TEMPORAL_ADDRESS)")
	fs.StringVar(&p.Namespace, "temporal-namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (TEMPORAL_NAMESPACE)")
	fs.StringVar(&p.MongoURI, "mongodb-uri", envOr("MONGODB_URI", "mongodb://127.0.0.1:27017/"), "MongoDB connection URI (MONGODB_URI)")
	fs.StringVar(&p.MongoDatabase, "mongodb-database", envOr("MONGODB_DATABASE", "tuntas"), "MongoDB database (MONGODB_DATABASE)")
	fs.StringVar(&p.CodecKey, "codec-key", envOr("TUNTAS_CODEC_KEY", ""), "payload keys id:base64[,id:base64…], first seals (TUNTAS_CODEC_KEY)")
}

func (p *prodFlags) keyring() (*codec.Keyring, error) {
	if p.CodecKey == "" {
		return nil, fmt.Errorf("TUNTAS_CODEC_KEY (or --codec-key) is required: personal data is encrypted in Temporal payloads")
	}
	return codec.ParseKeyring(p.CodecKey)
}

// connect dials Temporal with the payload codec and opens the read model;
// closeAll releases both.
func (p *prodFlags) connect(ctx context.Context, logger *slog.Logger) (_ client.Client, _ *store.Store, closeAll func(), _ error) {
	ring, err := p.keyring()
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := dialTemporal(ctx, p.backend, ring, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := openStore(ctx, p.backend)
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	return c, st, func() {
		_ = st.Close(context.WithoutCancel(ctx))
		c.Close()
	}, nil
}

// serviceCases are the rules and deadlines of cases opened in service.
func serviceCases() caseDefaults {
	return caseDefaults{Rules: household.DefaultRules(), Deadlines: household.DefaultDeadlines()}
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func runAPI(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf prodFlags
	pf.register(fs)
	addr := fs.String("http", envOr("TUNTAS_HTTP_ADDR", ":8080"), "listen address (TUNTAS_HTTP_ADDR)")
	secret := fs.String("token-secret", envOr("TUNTAS_TOKEN_SECRET", ""), "HS256 secret, at least 32 bytes (TUNTAS_TOKEN_SECRET)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	issuer, err := auth.NewIssuer([]byte(*secret))
	if err != nil {
		return err
	}
	logger := jsonLogger(stderr)
	c, st, closeAll, err := pf.connect(ctx, logger)
	if err != nil {
		return err
	}
	defer closeAll()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	logger.Info("api listening", "addr", ln.Addr().String())
	return serveHTTP(ctx, httpServer(newAPI(c, st, issuer, serviceCases(), logger)), ln)
}

func runWorker(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf prodFlags
	pf.register(fs)
	var pace importPace
	fs.Float64Var(&pace.Rate, "import-rate", defaultImportRate, "cases an import starts per second at most, per worker")
	fs.IntVar(&pace.Concurrency, "import-concurrency", defaultImportConcurrency, "cases an import starts at once at most, per worker")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := jsonLogger(stderr)
	c, st, closeAll, err := pf.connect(ctx, logger)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := ensureSearchAttributes(ctx, c, pf.Namespace); err != nil {
		return err
	}
	w := newWorker(c, st, serviceCases(), pace, logger)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	logger.Info("worker running", "task_queue", "tuntas-cases")
	<-ctx.Done()
	w.Stop()
	return nil
}

func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p auth.Principal
	role := fs.String("role", "", "caseworker, village_officer, verifier, supervisor, agency, province or admin")
	fs.StringVar(&p.Region, "region", "", "dotted region code at the role's level (caseworker: kecamatan 64.08.01; village_officer: village; province: 64)")
	fs.StringVar(&p.Sub, "sub", "", "subject (default: role@region)")
	fs.StringVar(&p.Agency, "agency", "", "agency code, for role agency (dinsos, disnakertrans, disperkim, pemdes, baznas, csr)")
	ttl := fs.Duration("ttl", 12*time.Hour, "validity")
	dir := fs.String("data", ".tuntas", "dev data directory holding the signing secret (ignored when TUNTAS_TOKEN_SECRET is set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p.Role = household.Role(*role)
	if p.Sub == "" {
		p.Sub = *role + "@" + p.Region
	}
	var issuer *auth.Issuer
	var err error
	if secret := envOr("TUNTAS_TOKEN_SECRET", ""); secret != "" {
		issuer, err = auth.NewIssuer([]byte(secret))
	} else {
		issuer, err = dataDirIssuer(*dir)
	}
	if err != nil {
		return err
	}
	tok, err := issuer.Issue(p, *ttl, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
