package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a PEM certificate and key signed by parent (self-signed
// when parent is nil) and returns them with the file paths.
func writeCert(t *testing.T, dir, name string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{name}, IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	certPath, keyPath := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	_ = os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key, certPath, keyPath
}

func TestTemporalTLSFlagsMakeAMutualTLSClient(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caPath, _ := writeCert(t, dir, "tuntas-ca", true, nil, nil)
	_, _, srvCert, srvKey := writeCert(t, dir, "temporal.internal", false, ca, caKey)
	_, _, cliCert, cliKey := writeCert(t, dir, "tuntas-worker", false, ca, caKey)

	// A server that, like a Temporal frontend with mTLS, requires a client
	// certificate signed by the CA.
	pair, err := tls.LoadX509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	dial := func(cfg *tls.Config) error {
		raw, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer raw.Close()
		conn := tls.Client(raw, cfg)
		if err := conn.Handshake(); err != nil {
			return err
		}
		// With TLS 1.3 a refused client certificate shows on the first read.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		if err != nil && err.Error() == "EOF" {
			return nil
		}
		return err
	}

	tests := []struct {
		name    string
		flags   TemporalTLS
		wantCfg bool
		dials   bool
	}{
		{"no flags: plain gRPC", TemporalTLS{}, false, false},
		{"CA and client certificate", TemporalTLS{CAFile: caPath, CertFile: cliCert, KeyFile: cliKey, ServerName: "temporal.internal"}, true, true},
		{"CA without a client certificate", TemporalTLS{CAFile: caPath, ServerName: "temporal.internal"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.flags.Config()
			if err != nil || (cfg != nil) != tt.wantCfg {
				t.Fatalf("config() = %v, %v", cfg, err)
			}
			if cfg == nil {
				return
			}
			if err := dial(cfg); (err == nil) != tt.dials {
				t.Fatalf("handshake error %v, want success %t", err, tt.dials)
			}
		})
	}
	if _, err := (TemporalTLS{CertFile: cliCert}).Config(); err == nil {
		t.Error("a certificate without its key was accepted")
	}
	if _, err := (TemporalTLS{CAFile: filepath.Join(dir, "missing.pem")}).Config(); err == nil {
		t.Error("a missing CA file was accepted")
	}
}
