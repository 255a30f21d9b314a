package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
	"github.com/tuntas-id/tuntas/internal/server"
	"github.com/tuntas-id/tuntas/internal/store"
)

// prodFlags are the flags shared by `api`, `worker` and `reconcile`, each
// falling back to its environment variable.
type prodFlags struct {
	server.Backend
	CodecKey string
	TLS      server.TemporalTLS
}

func (p *prodFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.TemporalAddress, "temporal-address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (TEMPORAL_ADDRESS)")
	fs.StringVar(&p.Namespace, "temporal-namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (TEMPORAL_NAMESPACE)")
	fs.StringVar(&p.MongoURI, "mongodb-uri", envOr("MONGODB_URI", "mongodb://127.0.0.1:27017/"), "MongoDB connection URI (MONGODB_URI)")
	fs.StringVar(&p.MongoDatabase, "mongodb-database", envOr("MONGODB_DATABASE", "tuntas"), "MongoDB database (MONGODB_DATABASE)")
	fs.StringVar(&p.CodecKey, "codec-key", envOr("TUNTAS_CODEC_KEY", ""), "payload keys id:base64[,id:base64…], first seals (TUNTAS_CODEC_KEY)")
	fs.StringVar(&p.TLS.CAFile, "temporal-tls-ca", envOr("TEMPORAL_TLS_CA", ""), "PEM file of the CA that signed Temporal's certificate (TEMPORAL_TLS_CA)")
	fs.StringVar(&p.TLS.CertFile, "temporal-tls-cert", envOr("TEMPORAL_TLS_CERT", ""), "PEM client certificate for mutual TLS (TEMPORAL_TLS_CERT)")
	fs.StringVar(&p.TLS.KeyFile, "temporal-tls-key", envOr("TEMPORAL_TLS_KEY", ""), "PEM key of the client certificate (TEMPORAL_TLS_KEY)")
	fs.StringVar(&p.TLS.ServerName, "temporal-tls-server-name", envOr("TEMPORAL_TLS_SERVER_NAME", ""), "name expected in Temporal's certificate, when it differs from the address (TEMPORAL_TLS_SERVER_NAME)")
}

func (p *prodFlags) keyring() (*codec.Keyring, error) {
	if p.CodecKey == "" {
		return nil, fmt.Errorf("TUNTAS_CODEC_KEY (or --codec-key) is required: personal data is encrypted in Temporal payloads")
	}
	return codec.ParseKeyring(p.CodecKey)
}

// connect dials Temporal with the payload codec and opens the stores;
// closeAll releases both.
func (p *prodFlags) connect(ctx context.Context, logger *slog.Logger) (_ client.Client, _ *server.Stores, closeAll func(), _ error) {
	ring, err := p.keyring()
	if err != nil {
		return nil, nil, nil, err
	}
	if p.TemporalTLS, err = p.TLS.Config(); err != nil {
		return nil, nil, nil, err
	}
	c, err := server.DialTemporal(ctx, p.Backend, ring, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := server.OpenStores(ctx, p.Backend)
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	return c, st, func() {
		_ = st.Close(context.WithoutCancel(ctx))
		c.Close()
	}, nil
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// signInFlags say how `tuntas api` authenticates its callers, and how its
// console signs people in at the provider.
type signInFlags struct {
	TokenSecret string
	OIDC        auth.OIDCConfig
	Console     auth.SigninConfig
	scopes      string
}

func (s *signInFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.TokenSecret, "token-secret", envOr("TUNTAS_TOKEN_SECRET", ""), "HS256 secret, at least 32 bytes; ignored when --oidc-issuer is set (TUNTAS_TOKEN_SECRET)")
	fs.StringVar(&s.OIDC.Issuer, "oidc-issuer", envOr("TUNTAS_OIDC_ISSUER", ""), "OpenID Connect issuer URL; when set, only its tokens sign in (TUNTAS_OIDC_ISSUER)")
	fs.StringVar(&s.OIDC.Audience, "oidc-audience", envOr("TUNTAS_OIDC_AUDIENCE", ""), "audience (client ID) the provider issues Tuntas tokens for; required with --oidc-issuer (TUNTAS_OIDC_AUDIENCE)")
	fs.StringVar(&s.OIDC.JWKSURL, "oidc-jwks-url", envOr("TUNTAS_OIDC_JWKS_URL", ""), "the provider's JWKS URL (default: from the issuer's discovery document) (TUNTAS_OIDC_JWKS_URL)")
	fs.StringVar(&s.OIDC.RoleClaim, "oidc-role-claim", envOr("TUNTAS_OIDC_ROLE_CLAIM", "role"), "claim holding the role, dotted for nested ones, e.g. realm_access.roles (TUNTAS_OIDC_ROLE_CLAIM)")
	fs.StringVar(&s.OIDC.RegionClaim, "oidc-region-claim", envOr("TUNTAS_OIDC_REGION_CLAIM", "region"), "claim holding the region code (TUNTAS_OIDC_REGION_CLAIM)")
	fs.StringVar(&s.OIDC.AgencyClaim, "oidc-agency-claim", envOr("TUNTAS_OIDC_AGENCY_CLAIM", "agency"), "claim holding the agency code (TUNTAS_OIDC_AGENCY_CLAIM)")
	fs.StringVar(&s.Console.ClientID, "oidc-client-id", envOr("TUNTAS_OIDC_CLIENT_ID", ""), "the console's client ID at the provider; with it the console signs people in there (authorization code + PKCE) (TUNTAS_OIDC_CLIENT_ID)")
	fs.StringVar(&s.Console.ClientSecret, "oidc-client-secret", envOr("TUNTAS_OIDC_CLIENT_SECRET", ""), "the console's client secret at the provider (TUNTAS_OIDC_CLIENT_SECRET)")
	fs.StringVar(&s.Console.RedirectURL, "oidc-redirect-url", envOr("TUNTAS_OIDC_REDIRECT_URL", ""), "the console's callback as registered at the provider: https://<host>"+auth.CallbackPath+" (TUNTAS_OIDC_REDIRECT_URL)")
	fs.StringVar(&s.Console.PostLogoutURL, "oidc-post-logout-url", envOr("TUNTAS_OIDC_POST_LOGOUT_URL", ""), "where the provider sends people it signed out (default: the redirect URL's origin + "+auth.SignedOutPath+") (TUNTAS_OIDC_POST_LOGOUT_URL)")
	fs.StringVar(&s.scopes, "oidc-scopes", envOr("TUNTAS_OIDC_SCOPES", "profile"), "scopes the console asks for besides openid, separated by spaces or commas (TUNTAS_OIDC_SCOPES)")
}

// consoleSignin is how the console signs people in at the provider: nil
// without an issuer and a client ID, when people paste tokens instead.
func (s *signInFlags) consoleSignin(ctx context.Context, logger *slog.Logger) (*auth.Signin, error) {
	if s.Console.ClientID == "" {
		if s.OIDC.Issuer != "" {
			logger.Warn("TUNTAS_OIDC_CLIENT_ID is not set: the console signs nobody in at the provider, only pasted tokens")
		}
		return nil, nil
	}
	if s.OIDC.Issuer == "" {
		return nil, errors.New("TUNTAS_OIDC_CLIENT_ID needs TUNTAS_OIDC_ISSUER (or --oidc-issuer)")
	}
	cfg := s.Console
	cfg.OIDC = s.OIDC
	cfg.Scopes = strings.FieldsFunc(s.scopes, func(r rune) bool { return r == ',' || r == ' ' })
	return auth.NewSignin(ctx, cfg)
}

// verifier is how the API checks bearer tokens. An OIDC issuer, when set, is
// the only way in: the HS256 secret is then ignored even if set, so tokens
// minted by `tuntas token` (or with a leaked secret) cannot reach a
// production that signs people in through its provider. Without an issuer
// the HS256 secret is required, as before.
func (s *signInFlags) verifier(ctx context.Context, logger *slog.Logger) (auth.Verifier, error) {
	if s.OIDC.Issuer == "" {
		issuer, err := auth.NewIssuer([]byte(s.TokenSecret))
		if err != nil {
			return nil, fmt.Errorf("%w (TUNTAS_TOKEN_SECRET), or set --oidc-issuer to sign in through a provider", err)
		}
		return issuer.Verifier(), nil
	}
	if s.TokenSecret != "" {
		logger.Warn("OIDC sign-in is configured: TUNTAS_TOKEN_SECRET is ignored and HS256 tokens are refused")
	}
	v, err := auth.NewOIDCVerifier(ctx, s.OIDC)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// API is `tuntas api`: the HTTP API and the console against the backend
// its flags name, until ctx ends.
func API(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return APIWith(Service())(ctx, args, stdout, stderr)
}

// Tuning is what production fixes and the dev binary's bench changes:
// the rules and deadlines cases open with, and the API's per-person rate
// limit.
type Tuning struct {
	Cases     server.CaseDefaults
	RateLimit api.RateLimit
}

// Service is production's tuning: server.ServiceCases and the API's
// default rate limit.
func Service() Tuning { return Tuning{Cases: server.ServiceCases()} }

// APIWith is `tuntas api` tuned by t.
func APIWith(t Tuning) Func {
	return func(ctx context.Context, args []string, _, stderr io.Writer) error {
		return serveAPI(ctx, args, stderr, t)
	}
}

func serveAPI(ctx context.Context, args []string, stderr io.Writer, t Tuning) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf prodFlags
	pf.register(fs)
	var si signInFlags
	si.register(fs)
	addr := fs.String("http", envOr("TUNTAS_HTTP_ADDR", ":8080"), "listen address (TUNTAS_HTTP_ADDR)")
	metricsAddr := fs.String("metrics-addr", envOr("TUNTAS_METRICS_ADDR", ""), "serve /metrics on this address instead of the API's (TUNTAS_METRICS_ADDR)")
	personKey := keyFlag(fs)
	defCases, err := envInt("TUNTAS_INDEX_CASES", store.DefaultMaxCases)
	if err != nil {
		return err
	}
	indexCases := fs.Int("index-cases", defCases, "the most cases the read index holds in memory; beyond, and at 0 (off), the store answers every list, dashboard and report (TUNTAS_INDEX_CASES)")
	deviceSecret := fs.String("device-secret", envOr("TUNTAS_DEVICE_SECRET", ""), "secret, at least 32 bytes, from which the console derives the keys of the field's outboxes on phones; the same for every api process (TUNTAS_DEVICE_SECRET)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := jsonLogger(stderr)
	if *deviceSecret != "" && len(*deviceSecret) < 32 {
		return fmt.Errorf("TUNTAS_DEVICE_SECRET (or --device-secret) must be at least 32 bytes")
	}
	if *deviceSecret == "" {
		logger.Warn("TUNTAS_DEVICE_SECRET is not set: forms waiting in a phone's outbox cannot be sent after this process restarts or through another api process, nor can a sign-in at the provider end there")
	}
	verifier, err := si.verifier(ctx, logger)
	if err != nil {
		return err
	}
	provider, err := si.consoleSignin(ctx, logger)
	if err != nil {
		return err
	}
	keys, err := pseudonym.ParseKey(*personKey)
	if err != nil {
		return fmt.Errorf("TUNTAS_PERSON_KEY (or --person-key): %w", err)
	}

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
	var metrics *api.Metrics
	if *metricsAddr != "" {
		// Metrics on their own address stay off the public listener.
		metrics = api.NewMetrics()
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", *metricsAddr, err)
		}
		logger.Info("metrics listening", "addr", mln.Addr().String())
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler())
		var wg sync.WaitGroup
		defer wg.Wait() // the metrics server shuts down with ctx, like the API's
		wg.Go(func() {
			if err := server.Serve(ctx, server.HTTPServer(mux), mln); err != nil {
				logger.Error("metrics server", "error", err)
			}
		})
	}
	idx := store.NewIndex(st.Store, logger, store.MaxCases(*indexCases))
	defer idx.Close()
	h, err := server.NewHandler(c, st, idx, keys, t.Cases, api.Config{Verifier: verifier, Metrics: metrics, Logger: logger, RateLimit: t.RateLimit},
		server.ConsoleSignin{DeviceSecret: []byte(*deviceSecret), Provider: provider})
	if err != nil {
		return err
	}
	return server.Serve(ctx, server.HTTPServer(h), ln)
}

// Worker is `tuntas worker`: the case worker against the backend its
// flags name, until ctx ends.
func Worker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return WorkerWith(Service())(ctx, args, stdout, stderr)
}

// WorkerWith is `tuntas worker` tuned by t (its cases: imports open them).
func WorkerWith(t Tuning) Func {
	return func(ctx context.Context, args []string, _, stderr io.Writer) error {
		return runWorker(ctx, args, stderr, t)
	}
}

func runWorker(ctx context.Context, args []string, stderr io.Writer, t Tuning) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf prodFlags
	pf.register(fs)
	var pace server.ImportPace
	fs.Float64Var(&pace.Rate, "import-rate", server.DefaultImportRate, "cases an import starts per second at most, per worker")
	fs.IntVar(&pace.Concurrency, "import-concurrency", server.DefaultImportConcurrency, "cases an import starts at once at most, per worker")
	personKey := keyFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	persons, err := pseudonym.ParseKey(*personKey)
	if err != nil {
		return fmt.Errorf("TUNTAS_PERSON_KEY (or --person-key): %w", err)
	}
	logger := jsonLogger(stderr)
	c, st, closeAll, err := pf.connect(ctx, logger)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := server.EnsureSearchAttributes(ctx, c, pf.Namespace); err != nil {
		return err
	}
	w := server.NewWorker(c, st, persons, t.Cases, pace, logger)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := server.EnsureProgressSchedule(ctx, c, st.Store); err != nil {
		w.Stop()
		return err
	}
	logger.Info("worker running", "task_queue", "tuntas-cases")
	<-ctx.Done()
	w.Stop()
	return nil
}

// keyFlag registers the key of the pseudonyms: of people, which keep one
// person in one open case (the worker), and of family cards, which name
// the cases' workflows (the worker's imports and the API's opens).
func keyFlag(fs *flag.FlagSet) *string {
	return fs.String("person-key", envOr("TUNTAS_PERSON_KEY", ""), "key of the pseudonyms of people (one person in one open case) and of family cards (case workflow IDs), base64 of 32 bytes; the same in every api and worker process (TUNTAS_PERSON_KEY)")
}

// Token is `tuntas token`: it prints a bearer token signed with
// TUNTAS_TOKEN_SECRET or a dev data directory's secret.
func Token(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p auth.Principal
	role := fs.String("role", "", "caseworker, village_officer, verifier, supervisor, agency, province or admin")
	fs.StringVar(&p.Region, "region", "", "dotted region code at the role's level (caseworker: kecamatan 64.08.01; village_officer: village; province: 64)")
	fs.StringVar(&p.Sub, "sub", "", "subject: the person the token is for (required; it is recorded as the actor of what they do)")
	fs.StringVar(&p.Agency, "agency", "", "agency code, for role agency (dinsos, disnakertrans, disperkim, pemdes, baznas, csr)")
	ttl := fs.Duration("ttl", 8*time.Hour, "validity, at most 12h")
	dir := fs.String("data", ".tuntas", "dev data directory holding the signing secret (ignored when TUNTAS_TOKEN_SECRET is set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p.Role = household.Role(*role)
	// A token names a person, never a role: the case timeline records who
	// acted, and role@region would make everyone with that role one actor.
	if p.Sub == "" {
		return errors.New("--sub is required: name the person the token is for")
	}
	var issuer *auth.Issuer
	var err error
	if secret := envOr("TUNTAS_TOKEN_SECRET", ""); secret != "" {
		issuer, err = auth.NewIssuer([]byte(secret))
	} else {
		issuer, err = server.DataDirIssuer(*dir)
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
