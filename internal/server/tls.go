package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TemporalTLS names the files of a TLS connection to Temporal, with a
// client certificate for clusters that require mutual TLS. MongoDB's TLS is
// set in its URI (tls=true&tlsCAFile=…&tlsCertificateKeyFile=…), which the
// driver reads itself.
type TemporalTLS struct {
	CAFile, CertFile, KeyFile, ServerName string
}

// Config returns the TLS configuration, or nil when no file is named
// (plain gRPC, as on the dev stack's loopback).
func (t TemporalTLS) Config() (*tls.Config, error) {
	if t == (TemporalTLS{}) {
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
