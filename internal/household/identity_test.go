package household_test

import (
	"errors"
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
)

func TestParseNIK(t *testing.T) {
	tests := []struct {
		name    string
		nik     string
		wantErr error
		female  bool
		regency string
	}{
		{"man born 1 Jan 1985", "6408010101850001", nil, false, "64.08"},
		{"woman adds 40 to the day", "6408014101850001", nil, true, "64.08"},
		{"woman on the 31st", "6408017112900003", nil, true, "64.08"},
		{"29 Feb in a leap year (2000)", "6408012902000001", nil, false, "64.08"},
		{"migrant from Central Java", "3301010101800001", nil, false, "33.01"},
		{"15 digits", "640801010185000", household.ErrDigits, false, ""},
		{"letters", "64080101018500AB", household.ErrDigits, false, ""},
		{"day 32", "6408013201850001", household.ErrBirthDate, false, ""},
		{"day 0", "6408010001850001", household.ErrBirthDate, false, ""},
		{"woman's day 72", "6408017201850001", household.ErrBirthDate, false, ""},
		{"month 13", "6408010113850001", household.ErrBirthDate, false, ""},
		{"30 Feb", "6408013002850001", household.ErrBirthDate, false, ""},
		{"zero serial", "6408010101850000", household.ErrSerial, false, ""},
		{"province 00", "0008010101850001", household.ErrRegionPart, false, ""},
		{"regency 00", "6400010101850001", household.ErrRegionPart, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := household.ParseNIK(tt.nik)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseNIK(%s) error %v, want %v", tt.nik, err, tt.wantErr)
			}
			if err == nil && (n.Female != tt.female || n.Regency != tt.regency) {
				t.Fatalf("ParseNIK(%s) = %+v", tt.nik, n)
			}
		})
	}
}

func TestParseKK(t *testing.T) {
	tests := []struct {
		kk      string
		wantErr error
	}{
		{"6408010101200001", nil},
		{"6408013112190001", nil},
		{"640801010120000", household.ErrDigits},
		{"6408013202200001", household.ErrBirthDate},
		{"6408010101200000", household.ErrSerial},
	}
	for _, tt := range tests {
		if _, err := household.ParseKK(tt.kk); !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseKK(%s) error %v, want %v", tt.kk, err, tt.wantErr)
		}
	}
}

func TestMaskNIKShowsFirstSixAndLastTwo(t *testing.T) {
	if got := household.MaskNIK("6408014101850001"); got != "640801********01" {
		t.Fatalf("MaskNIK = %s", got)
	}
	if got := household.MaskNIK("short"); got != "****************" {
		t.Fatalf("MaskNIK of a malformed value = %s", got)
	}
}
