package household_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// testJPEG is a w×h JPEG of a gradient, as a phone's canvas exports it.
func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSegment puts a segment (marker, payload) right after a JPEG's SOI.
func withSegment(j []byte, marker byte, payload string) []byte {
	n := len(payload) + 2
	seg := append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	return append(append(append([]byte{}, j[:2]...), seg...), j[2:]...)
}

func TestParsePhotoKeepsThePictureAndDropsItsMetadata(t *testing.T) {
	plain := testJPEG(t, 64, 48)
	exif := withSegment(withSegment(plain, 0xE1, "Exif\x00\x00GPS -0.5,117.1 Samsung SM-A135F"), 0xFE, "a comment")
	tests := []struct {
		name string
		in   []byte
	}{
		{"without metadata", plain},
		{"with EXIF and a comment", exif},
		{"with XMP", withSegment(plain, 0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := household.ParsePhoto(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.Bytes, plain) {
				t.Errorf("stored %d bytes, want the %d of the picture alone", len(p.Bytes), len(plain))
			}
			for _, s := range []string{"Exif", "GPS", "Samsung", "xmpmeta", "a comment"} {
				if bytes.Contains(p.Bytes, []byte(s)) {
					t.Errorf("stored photo still holds %q", s)
				}
			}
			sum := sha256.Sum256(plain)
			if p.ID != hex.EncodeToString(sum[:]) || p.Width != 64 || p.Height != 48 {
				t.Errorf("photo = %s %d×%d", p.ID, p.Width, p.Height)
			}
		})
	}
}

// Metadata where a naive copy of the scan keeps it: a segment after the
// scan data (as between the scans of a progressive picture), and a second
// picture with its own EXIF after EOI.
func TestParsePhotoDropsMetadataAfterTheScanAndAfterTheEnd(t *testing.T) {
	plain := testJPEG(t, 64, 48)
	eoi := len(plain) - 2
	afterScan := append(append(append([]byte{}, plain[:eoi]...), 0xFF, 0xE1, 0x00, 0x16), "Exif\x00\x00GPS -0.5,117.1"...)
	afterScan = append(afterScan, plain[eoi:]...)
	trailer := append(append([]byte{}, plain...), append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10}, "Exif\x00\x00Samsung"...)...)
	for name, in := range map[string][]byte{"a segment after the scan": afterScan, "a picture after EOI": trailer} {
		t.Run(name, func(t *testing.T) {
			p, err := household.ParsePhoto(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.Bytes, plain) {
				t.Errorf("stored %d bytes, want the %d of the picture alone", len(p.Bytes), len(plain))
			}
			for _, s := range []string{"Exif", "GPS", "Samsung"} {
				if bytes.Contains(p.Bytes, []byte(s)) {
					t.Errorf("stored photo still holds %q", s)
				}
			}
		})
	}
}

func TestParsePhotoRefusesWhatIsNotASmallJPEG(t *testing.T) {
	var pngBytes bytes.Buffer
	_ = png.Encode(&pngBytes, image.NewGray(image.Rect(0, 0, 8, 8)))
	j := testJPEG(t, 32, 32)
	huge := append([]byte{}, j...)
	// The frame header (SOF0) claims 20000×20000 pixels.
	sof := bytes.Index(huge, []byte{0xFF, 0xC0})
	huge[sof+5], huge[sof+6], huge[sof+7], huge[sof+8] = 0x4E, 0x20, 0x4E, 0x20
	big := withSegment(j, 0xE1, strings.Repeat("x", 60_000))
	big = withSegment(withSegment(withSegment(big, 0xE2, strings.Repeat("y", 60_000)), 0xE3, strings.Repeat("z", 60_000)), 0xE4, strings.Repeat("w", 30_000))
	tests := []struct {
		name, want string
		in         []byte
	}{
		{"empty", "must be a JPEG photo", nil},
		{"text", "must be a JPEG photo", []byte("this is not a photo at all")},
		{"a PNG", "must be a JPEG photo", pngBytes.Bytes()},
		{"a truncated JPEG", "must be a JPEG photo", j[:len(j)/2]},
		{"a JPEG header and garbage", "must be a JPEG photo", append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0}, bytes.Repeat([]byte{0xAB}, 100)...)},
		{"too many pixels", "must be at most 2048 pixels on each side", huge},
		{"over 200 KB", "the photo is larger than 200 KB", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := household.ParsePhoto(tt.in)
			var fe household.FieldErrors
			if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != "photo" || fe[0].Message != tt.want {
				t.Fatalf("ParsePhoto = %v; want photo: %s", err, tt.want)
			}
			if fe[0].Key == "" {
				t.Errorf("message %q has no catalogue key", fe[0].Message)
			}
		})
	}
}

func TestEvidenceIsCheckedWithTheSurveyAndTheVisit(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	photo := strings.Repeat("ab", 32)
	at := func(lat, lon, acc float64) *household.Location {
		return &household.Location{Lat: lat, Lon: lon, AccuracyM: acc}
	}
	tests := []struct {
		name string
		ev   *household.Evidence
		want map[string]string // field → message; nil for none
	}{
		{"none", nil, nil},
		{"empty", &household.Evidence{}, nil},
		{"a photo and Muara Ancalong", &household.Evidence{Photo: photo, Location: at(0.37, 116.63, 12.5)}, nil},
		{"a position alone, accuracy 0", &household.Evidence{Location: at(-0.5, 117.1, 0)}, nil},
		{"a photo ID that is no hash", &household.Evidence{Photo: "house.jpg"}, map[string]string{"evidence.photo": "must be the ID of an uploaded photo"}},
		{"an uppercase hash", &household.Evidence{Photo: strings.ToUpper(photo)}, map[string]string{"evidence.photo": "must be the ID of an uploaded photo"}},
		{"Amsterdam", &household.Evidence{Location: at(52.37, 4.9, 10)}, map[string]string{
			"evidence.location.lat": "must be a latitude within Indonesia, from -11.5 to 6.5",
			"evidence.location.lon": "must be a longitude within Indonesia, from 94.5 to 141.5"}},
		{"latitude and longitude swapped", &household.Evidence{Location: at(116.63, 0.37, 10)}, map[string]string{
			"evidence.location.lat": "must be a latitude within Indonesia, from -11.5 to 6.5",
			"evidence.location.lon": "must be a longitude within Indonesia, from 94.5 to 141.5"}},
		{"negative accuracy", &household.Evidence{Location: at(0.37, 116.63, -1)}, map[string]string{"evidence.location.accuracyM": "must be between 0 and 100000"}},
		{"NaN", &household.Evidence{Location: at(math.NaN(), 116.63, math.NaN())}, map[string]string{
			"evidence.location.lat":       "must be a latitude within Indonesia, from -11.5 to 6.5",
			"evidence.location.accuracyM": "must be between 0 and 100000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSurvey.Survey
			s.Evidence = tt.ev
			visit := household.FollowUpInput{VisitDate: "2026-12-07", MonthlyExpenditure: 1_000_000, Evidence: tt.ev}
			for what, err := range map[string]error{"survey": household.SurveyInput{Survey: s}.Validate(now), "visit": visit.Validate(now)} {
				got := map[string]string{}
				var fe household.FieldErrors
				if errors.As(err, &fe) {
					for _, f := range fe {
						got[f.Field] = f.Message
						if f.Key == "" {
							t.Errorf("%s: %q has no catalogue key", what, f.Message)
						}
					}
				} else if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if len(got) != len(tt.want) {
					t.Errorf("%s: errors %v; want %v", what, got, tt.want)
				}
				for k, v := range tt.want {
					if got[k] != v {
						t.Errorf("%s: %s = %q; want %q", what, k, got[k], v)
					}
				}
			}
		})
	}
}
