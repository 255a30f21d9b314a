package household

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image/jpeg"
	"math"
)

// Evidence is what DTKS verification expects from a survey or a visit:
// where the device stood, and one photo of the house. Both are optional.
// The photo travels here only by its ID: its bytes are stored with the
// case before the action is sent (see Photo), so no workflow payload ever
// carries them.
type Evidence struct {
	// Photo is the stored photo's ID, the hex SHA-256 of its bytes.
	Photo    string    `json:"photo,omitempty"`
	Location *Location `json:"location,omitempty"`
}

// Location is the device's position as its browser reported it.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
	// AccuracyM is the radius, in metres, within which the browser says the
	// device is (95% confidence).
	AccuracyM float64 `json:"accuracyM"`
}

// Indonesia's bounding box with a margin: a position outside it is a
// device's error or a typing mistake, not a household of the registry.
const (
	MinLat, MaxLat = -11.5, 6.5
	MinLon, MaxLon = 94.5, 141.5
	// MaxAccuracyM bounds the accuracy a position may claim: beyond a few
	// kilometres it says nothing of the house.
	MaxAccuracyM = 100_000
)

// Empty reports whether e carries nothing.
func (e *Evidence) Empty() bool { return e == nil || (e.Photo == "" && e.Location == nil) }

// evidenceOf is e as kept with the case: nil when it carries nothing.
func evidenceOf(e *Evidence) *Evidence {
	if e.Empty() {
		return nil
	}
	out := *e
	if e.Location != nil {
		l := *e.Location
		out.Location = &l
	}
	return &out
}

// check adds e's problems to fe, each field named below prefix
// ("evidence.").
func (e *Evidence) check(fe *FieldErrors, prefix string) {
	if e == nil {
		return
	}
	if e.Photo != "" && !ValidPhotoID(e.Photo) {
		fe.Add(prefix+"photo", "must be the ID of an uploaded photo")
	}
	if l := e.Location; l != nil {
		if math.IsNaN(l.Lat) || l.Lat < MinLat || l.Lat > MaxLat {
			fe.Add(prefix+"location.lat", "must be a latitude within Indonesia, from -11.5 to 6.5")
		}
		if math.IsNaN(l.Lon) || l.Lon < MinLon || l.Lon > MaxLon {
			fe.Add(prefix+"location.lon", "must be a longitude within Indonesia, from 94.5 to 141.5")
		}
		if math.IsNaN(l.AccuracyM) || l.AccuracyM < 0 || l.AccuracyM > MaxAccuracyM {
			fe.Add(prefix+"location.accuracyM", "must be between 0 and %d", MaxAccuracyM)
		}
	}
}

// ValidPhotoID reports whether id is a photo ID: 64 lowercase hex digits.
func ValidPhotoID(id string) bool {
	if len(id) != 2*sha256.Size {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Photo limits. A phone shrinks the photo to at most MaxPhotoBytes before
// it is kept in the outbox; the server holds it to the same.
const (
	MaxPhotoBytes = 200 << 10
	// MaxPhotoPixels bounds each side. Decoding allocates for every pixel
	// the frame claims (a progressive 4096×4096 picture of a few KB takes
	// about 240 MiB), and a phone sends at most 1280.
	MaxPhotoPixels = 2048
)

// Photo is a photo of the house as it is stored: a JPEG with nothing but
// the picture in it.
type Photo struct {
	// ID is the hex SHA-256 of Bytes: the same photo sent twice (a retry on
	// a bad link) is the same photo.
	ID            string
	Bytes         []byte
	Width, Height int
}

// ParsePhoto checks that b is a JPEG of at most MaxPhotoBytes and returns
// it without its metadata: every APPn segment but JFIF (APP0) and Adobe's
// colour transform (APP14), and every comment, are removed, so that no
// EXIF (the phone's make, the time, a GPS position written by the camera),
// XMP or IPTC data is kept. The picture itself is copied byte for byte, and
// it must decode. Errors are FieldErrors on field "photo".
func ParsePhoto(b []byte) (Photo, error) {
	var fe FieldErrors
	if len(b) > MaxPhotoBytes {
		fe.Add("photo", "the photo is larger than %d KB", MaxPhotoBytes>>10)
		return Photo{}, fe.Err()
	}
	clean, ok := stripJPEG(b)
	if !ok {
		fe.Add("photo", "must be a JPEG photo")
		return Photo{}, fe.Err()
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(clean))
	if err != nil {
		fe.Add("photo", "must be a JPEG photo")
		return Photo{}, fe.Err()
	}
	if cfg.Width > MaxPhotoPixels || cfg.Height > MaxPhotoPixels {
		// Checked before decoding: a small file may claim a huge picture.
		fe.Add("photo", "must be at most %d pixels on each side", MaxPhotoPixels)
		return Photo{}, fe.Err()
	}
	if _, err := jpeg.Decode(bytes.NewReader(clean)); err != nil {
		fe.Add("photo", "must be a JPEG photo")
		return Photo{}, fe.Err()
	}
	sum := sha256.Sum256(clean)
	return Photo{ID: hex.EncodeToString(sum[:]), Bytes: clean, Width: cfg.Width, Height: cfg.Height}, nil
}

// JPEG markers.
const (
	markerSOI   = 0xD8
	markerEOI   = 0xD9
	markerSOS   = 0xDA
	markerRST0  = 0xD0
	markerRST7  = 0xD7
	markerAPP0  = 0xE0
	markerAPP14 = 0xEE
	markerAPP15 = 0xEF
	markerCOM   = 0xFE
)

// stripJPEG copies a JPEG's segments and scans up to its EOI, leaving out
// metadata (see ParsePhoto) wherever it stands: before the first scan,
// between the scans of a progressive picture, and anything after EOI (a
// second picture with its own EXIF, a maker's trailer). APP0 is kept only
// as JFIF and APP14 only as Adobe's. It reports false when b is not a
// sequence of JPEG segments ending in EOI.
func stripJPEG(b []byte) ([]byte, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != markerSOI {
		return nil, false
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:2]...)
	i := 2
	for {
		if i+2 > len(b) || b[i] != 0xFF {
			return nil, false
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == markerEOI:
			return append(out, 0xFF, markerEOI), true
		}
		if i+4 > len(b) {
			return nil, false
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return nil, false
		}
		seg, payload := b[i:i+2+n], b[i+4:i+2+n]
		i += 2 + n
		if m == markerSOS {
			// The entropy-coded data runs to the next marker that is not a
			// stuffed 0xFF00 or a restart.
			j := i
			for j+1 < len(b) && (b[j] != 0xFF || b[j+1] == 0x00 || (b[j+1] >= markerRST0 && b[j+1] <= markerRST7)) {
				j++
			}
			if j+1 >= len(b) {
				return nil, false
			}
			out = append(append(out, seg...), b[i:j]...)
			i = j
			continue
		}
		if !metadata(m, payload) {
			out = append(out, seg...)
		}
	}
}

// metadata is whether a segment carries data about the picture rather than
// the picture: comments and application segments, but JFIF's APP0 and
// Adobe's APP14 (its colour transform decides how the picture decodes).
func metadata(m byte, payload []byte) bool {
	switch {
	case m == markerCOM:
		return true
	case m == markerAPP0:
		return !bytes.HasPrefix(payload, []byte("JFIF\x00"))
	case m == markerAPP14:
		return !bytes.HasPrefix(payload, []byte("Adobe"))
	}
	return m > markerAPP0 && m <= markerAPP15
}
