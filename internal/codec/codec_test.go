package codec_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/converter"

	"github.com/tuntas-id/tuntas/internal/codec"
)

func TestRoundTripHidesPlainTextAndRotates(t *testing.T) {
	oldSpec, err := codec.NewKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	newSpec, _ := codec.NewKeySpec("k2")
	oldRing, err := codec.ParseKeyring(oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	sealedByOld, err := codec.DataConverter(oldRing).ToPayload(map[string]string{"nik": "6408014101900001"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealedByOld.GetData(), []byte("6408014101900001")) {
		t.Fatal("sealed payload holds the NIK in plain text")
	}
	if got := string(sealedByOld.GetMetadata()[codec.MetadataKeyID]); got != "k1" {
		t.Fatalf("key id = %q, want k1", got)
	}

	rotated, err := codec.ParseKeyring(newSpec + "," + oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	dc := codec.DataConverter(rotated)
	var back map[string]string
	if err := dc.FromPayload(sealedByOld, &back); err != nil {
		t.Fatalf("rotated ring cannot open an old payload: %v", err)
	}
	if back["nik"] != "6408014101900001" {
		t.Fatalf("round trip = %v", back)
	}
	fresh, _ := dc.ToPayload("x")
	if got := string(fresh.GetMetadata()[codec.MetadataKeyID]); got != "k2" {
		t.Fatalf("new payloads sealed with %q, want k2", got)
	}
}

func TestDecodeRejectsUnknownKeyAndTampering(t *testing.T) {
	a, _ := codec.NewKeySpec("a")
	b, _ := codec.NewKeySpec("b")
	ringA, _ := codec.ParseKeyring(a)
	ringB, _ := codec.ParseKeyring(b)
	p, _ := codec.DataConverter(ringA).ToPayload("secret")
	if err := codec.DataConverter(ringB).FromPayload(p, new(string)); err == nil {
		t.Fatal("a ring without the key opened the payload")
	}
	p.Data[len(p.Data)-1] ^= 1
	if err := codec.DataConverter(ringA).FromPayload(p, new(string)); err == nil {
		t.Fatal("a tampered payload opened")
	}
	var _ converter.PayloadCodec = codec.New(ringA)
}

func TestParseKeyringRejectsBadSpecs(t *testing.T) {
	tests := []string{"", "nokey", "k:notbase64!", "k:AAAA", "k1:" + "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=,k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="}
	for _, tt := range tests {
		if _, err := codec.ParseKeyring(tt); err == nil {
			t.Errorf("ParseKeyring(%q) accepted", tt)
		}
	}
}

func TestLoadOrCreateKeepsTheKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "codec.key")
	r1, err := codec.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := codec.DataConverter(r1).ToPayload("kept")
	r2, err := codec.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := codec.DataConverter(r2).FromPayload(p, &s); err != nil || s != "kept" {
		t.Fatalf("reloaded key cannot open: %v %q", err, s)
	}
}
