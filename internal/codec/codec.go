// Package codec owns the encryption of Temporal payloads: every workflow and
// activity payload (household members' NIKs and names among them) is sealed
// with AES-256-GCM before it leaves the process, so Temporal's history never
// holds personal data in plain text. The key ID travels in the payload
// metadata so that keys can rotate: new payloads use the first key, older
// ones are opened with whichever key sealed them. A payload this codec did
// not seal is refused, never passed through: otherwise anyone who reaches
// the Temporal frontend could start, signal or update a case with plain
// JSON that no Tuntas process wrote.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata keys and the encoding this codec writes.
const (
	MetadataEncoding = "encoding"
	MetadataKeyID    = "encryption-key-id"
	Encoding         = "binary/encrypted"
)

// ErrUnsealed is a payload that this codec did not seal.
var ErrUnsealed = errors.New("codec: payload is not sealed")

// Keyring holds AES-256 keys by ID; the first is used to seal.
type Keyring struct {
	current string
	keys    map[string]cipher.AEAD
}

// ParseKeyring reads "id:base64key[,id:base64key…]" (standard base64 of 32 bytes).
func ParseKeyring(spec string) (*Keyring, error) {
	kr := &Keyring{keys: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(strings.TrimSpace(spec), ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("codec: key %d: want id:base64key", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("codec: key %q: want 32 bytes of standard base64", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		if _, dup := kr.keys[id]; dup {
			return nil, fmt.Errorf("codec: key %q given twice", id)
		}
		kr.keys[id] = aead
		if i == 0 {
			kr.current = id
		}
	}
	return kr, nil
}

// NewKeySpec returns a fresh "id:base64key" spec with a random 32-byte key.
func NewKeySpec(id string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("codec: random key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// LoadOrCreate reads the key spec stored at path, creating it with a new key
// (mode 0600) if the file does not exist. Used by `tuntas-dev dev`.
func LoadOrCreate(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		spec, err := NewKeySpec("dev1")
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("codec: %w", err)
		}
		if err := os.WriteFile(path, []byte(spec+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("codec: %w", err)
		}
		return ParseKeyring(spec)
	}
	if err != nil {
		return nil, fmt.Errorf("codec: %w", err)
	}
	return ParseKeyring(string(b))
}

// Codec is a converter.PayloadCodec sealing payloads with a Keyring.
type Codec struct{ ring *Keyring }

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over ring.
func New(ring *Keyring) *Codec { return &Codec{ring: ring} }

// DataConverter wraps the SDK's default converter with the codec: the
// converter for every client and worker of Tuntas.
func DataConverter(ring *Keyring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(ring))
}

// FailureConverter seals the message and stack trace of every failure
// with the codec, as it seals payloads: an update's rejection, an
// activity's error, a workflow's failure. Temporal keeps a failure's
// message in the clear otherwise, in the history and wherever it shows
// it, whatever the error says; sealed, the message travels as an
// encoded payload and reads "Encoded failure" to whoever lacks the key.
// Its type (the domain's error code) and its details stay as they are:
// the type is no personal data, and details are payloads, sealed anyway.
func FailureConverter(ring *Keyring) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: DataConverter(ring), EncodeCommonAttributes: true,
	})
}

// Encode seals each payload.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.ring.keys[c.ring.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: marshal: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(Encoding),
				MetadataKeyID:    []byte(c.ring.current),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.ring.current)),
		}
	}
	return out, nil
}

// Decode opens payloads this codec sealed and refuses any other (plain JSON,
// nil, another codec's), wrapping ErrUnsealed. An empty list has nothing to
// refuse: the SDK sends no payloads at all for a call without arguments and
// does not pass absent payloads through the codec.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if enc := string(p.GetMetadata()[MetadataEncoding]); enc != Encoding {
			return nil, fmt.Errorf("%w: payload %d has encoding %q", ErrUnsealed, i, enc)
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.ring.keys[id]
		if !ok {
			return nil, fmt.Errorf("codec: no key %q in the keyring", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, errors.New("codec: sealed payload too short")
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: open with key %q: %w", id, err)
		}
		var dp commonpb.Payload
		if err := proto.Unmarshal(plain, &dp); err != nil {
			return nil, fmt.Errorf("codec: unmarshal: %w", err)
		}
		out[i] = &dp
	}
	return out, nil
}

// Reveal opens the payloads this codec sealed and passes every other one
// through as it is (a search attribute's, a memo's): it is for people
// reading a history through the codec server, to whom a payload that was
// never sealed shows as it is anyway. Workers and clients use Decode,
// which refuses what it did not seal. A sealed payload that does not open
// (a key not in the keyring, tampered) is an error, not passed through.
func (c *Codec) Reveal(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		opened, err := c.Decode([]*commonpb.Payload{p})
		if err != nil {
			return nil, fmt.Errorf("payload %d: %w", i, err)
		}
		out[i] = opened[0]
	}
	return out, nil
}
