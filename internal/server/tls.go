package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
)

// temporalTLS are the flags of a TLS connection to Temporal, with a client
// certificate for clusters that require mutual TLS. MongoDB's TLS is set in
// its URI (tls=true&tlsCAFile=…&tlsCertificateKeyFile=…), which the driver
// reads itself.
type temporalTLS struct {
	CAFile, CertFile, KeyFile, ServerName string
}

func (t *temporalTLS) register(fs *flag.FlagSet) {
	fs.StringVar(&t.CAFile, "temporal-tls-ca", envOr("TEMPORAL_TLS_CA", ""), "PEM file of the CA that signed Temporal's certificate (TEMPORAL_TLS_CA)")
	fs.StringVar(&t.CertFile, "temporal-tls-cert", envOr("TEMPORAL_TLS_CERT", ""), "PEM client certificate for mutual TLS (TEMPORAL_TLS_CERT)")
	fs.StringVar(&t.KeyFile, "temporal-tls-key", envOr("TEMPORAL_TLS_KEY", ""), "PEM key of the client certificate (TEMPORAL_TLS_KEY)")
	fs.StringVar(&t.ServerName, "temporal-tls-server-name", envOr("TEMPORAL_TLS_SERVER_NAME", ""), "name expected in Temporal's certificate, when it differs from the address (TEMPORAL_TLS_SERVER_NAME)")
}

// config returns the TLS configuration, or nil when no TLS flag is set
// (plain gRPC, as on the dev stack's loopback).
func (t temporalTLS) config() (*tls.Config, error) {
	if t == (temporalTLS{}) {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("temporal TLS CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporal TLS CA %s holds no PEM certificate", t.CAFile)
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("temporal TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case t.CertFile != "" || t.KeyFile != "":
		return nil, errors.New("temporal TLS: give both --temporal-tls-cert and --temporal-tls-key, or neither")
	}
	return cfg, nil
}
