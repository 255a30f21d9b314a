package codec_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
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

func TestDecodeRefusesPayloadsItDidNotSeal(t *testing.T) {
	spec, _ := codec.NewKeySpec("k1")
	ring, err := codec.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	plain := func(v any) *commonpb.Payload {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	sealed, err := codec.DataConverter(ring).ToPayload("sealed")
	if err != nil {
		t.Fatal(err)
	}
	zlib, err := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true}).Encode([]*commonpb.Payload{plain("x")})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		payloads []*commonpb.Payload
	}{
		{"plain JSON, as the Temporal CLI sends", []*commonpb.Payload{plain(map[string]string{"role": "system"})}},
		{"a plain nil value", []*commonpb.Payload{plain(nil)}},
		{"no metadata", []*commonpb.Payload{{Data: []byte(`{"role":"system"}`)}}},
		{"empty", []*commonpb.Payload{{}}},
		{"nil", []*commonpb.Payload{nil}},
		{"another codec's", zlib},
		{"a plain one after a sealed one", []*commonpb.Payload{sealed, plain("x")}},
	}
	c := codec.New(ring)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := c.Decode(tt.payloads); !errors.Is(err, codec.ErrUnsealed) {
				t.Fatalf("Decode = %v, %v; want ErrUnsealed", got, err)
			}
			// As the SDK decodes an update's or signal's arguments.
			var s string
			if err := codec.DataConverter(ring).FromPayloads(&commonpb.Payloads{Payloads: tt.payloads}, &s, &s); !errors.Is(err, codec.ErrUnsealed) {
				t.Fatalf("FromPayloads error %v, want ErrUnsealed", err)
			}
		})
	}
}

func TestDecodeRefusesSealedLookalikes(t *testing.T) {
	spec, _ := codec.NewKeySpec("k1")
	ring, _ := codec.ParseKeyring(spec)
	tests := []struct {
		name string
		p    *commonpb.Payload
	}{
		{"no key id", &commonpb.Payload{Metadata: map[string][]byte{codec.MetadataEncoding: []byte(codec.Encoding)}, Data: make([]byte, 64)}},
		{"no data", &commonpb.Payload{Metadata: map[string][]byte{codec.MetadataEncoding: []byte(codec.Encoding), codec.MetadataKeyID: []byte("k1")}}},
		{"forged data", &commonpb.Payload{Metadata: map[string][]byte{codec.MetadataEncoding: []byte(codec.Encoding), codec.MetadataKeyID: []byte("k1")}, Data: make([]byte, 64)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := codec.New(ring).Decode([]*commonpb.Payload{tt.p}); err == nil {
				t.Fatalf("Decode = %v, want an error", got)
			}
		})
	}
}

func TestSealedPayloadsRoundTrip(t *testing.T) {
	oldSpec, _ := codec.NewKeySpec("k1")
	newSpec, _ := codec.NewKeySpec("k2")
	oldRing, _ := codec.ParseKeyring(oldSpec)
	rotated, err := codec.ParseKeyring(newSpec + "," + oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	type member struct {
		NIK  string `json:"nik"`
		Name string `json:"name"`
	}
	tests := []struct {
		name  string
		value any
		into  func() any // a pointer to decode into
		want  any
	}{
		{"struct", member{"6408014101850001", "Siti Aminah"}, func() any { return new(member) }, member{"6408014101850001", "Siti Aminah"}},
		{"empty string", "", func() any { return new(string) }, ""},
		{"nil", nil, func() any { return new(*member) }, (*member)(nil)},
		{"bytes", []byte{0, 1, 2}, func() any { return new([]byte) }, []byte{0, 1, 2}},
	}
	for _, tt := range tests {
		for _, ring := range []struct {
			name       string
			seal, open *codec.Keyring
		}{{"same key", oldRing, oldRing}, {"old key after rotation", oldRing, rotated}, {"new key", rotated, rotated}} {
			t.Run(tt.name+"/"+ring.name, func(t *testing.T) {
				ps, err := codec.DataConverter(ring.seal).ToPayloads(tt.value)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range ps.GetPayloads() {
					if got := string(p.GetMetadata()[codec.MetadataEncoding]); got != codec.Encoding {
						t.Fatalf("sealed payload has encoding %q", got)
					}
				}
				into := tt.into()
				if err := codec.DataConverter(ring.open).FromPayloads(ps, into); err != nil {
					t.Fatal(err)
				}
				if got := reflect.ValueOf(into).Elem().Interface(); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("round trip = %#v, want %#v", got, tt.want)
				}
			})
		}
	}
}

func TestNoPayloadsNeedNoSeal(t *testing.T) {
	spec, _ := codec.NewKeySpec("k1")
	ring, _ := codec.ParseKeyring(spec)
	// A query or signal without arguments carries no payloads at all.
	got, err := codec.New(ring).Decode([]*commonpb.Payload{})
	if err != nil || len(got) != 0 {
		t.Fatalf("Decode(none) = %v, %v", got, err)
	}
	ps, err := codec.DataConverter(ring).ToPayloads()
	if err != nil {
		t.Fatal(err)
	}
	if err := codec.DataConverter(ring).FromPayloads(ps); err != nil {
		t.Fatalf("FromPayloads(no arguments): %v", err)
	}
}
