// Package household owns the domain of a household case: identity numbers
// (NIK, KK), the survey, stages and outcomes, and the pure rules that
// recommend a verification outcome and programs. It imports only the
// standard library.
package household

import (
	"errors"
	"fmt"
	"time"
)

// Identity-number errors, matched with errors.Is.
var (
	ErrDigits     = errors.New("must be exactly 16 digits")
	ErrBirthDate  = errors.New("birth-date digits (7-12) are not a real date")
	ErrSerial     = errors.New("serial digits (13-16) must not be all zero")
	ErrRegionPart = errors.New("region digits (1-6) are not a valid code")
)

// NIK is a parsed Nomor Induk Kependudukan: PPRRDD DDMMYY SSSS.
type NIK struct {
	// Province, Regency and District are the dotted Kemendagri codes encoded
	// in the first six digits ("64", "64.08", "64.08.01").
	Province, Regency, District string
	// BirthDay, BirthMonth, BirthYY are the date digits; YY has no century.
	BirthDay, BirthMonth, BirthYY int
	Female                        bool
}

// ParseNIK checks the structure of a NIK: 16 digits, a province and regency
// part that are not zero, a real birth date (women add 40 to the day) and a
// non-zero serial. Whether the regency exists is the caller's registry check.
func ParseNIK(s string) (NIK, error) {
	if !digits16(s) {
		return NIK{}, ErrDigits
	}
	n := NIK{
		Province: s[0:2],
		Regency:  s[0:2] + "." + s[2:4],
		District: s[0:2] + "." + s[2:4] + "." + s[4:6],
	}
	if s[0:2] < "11" || s[2:4] == "00" {
		return NIK{}, ErrRegionPart
	}
	day := atoi(s[6:8])
	if day > 40 {
		day -= 40
		n.Female = true
	}
	n.BirthDay, n.BirthMonth, n.BirthYY = day, atoi(s[8:10]), atoi(s[10:12])
	if !realDate(n.BirthYY, n.BirthMonth, n.BirthDay) {
		return NIK{}, ErrBirthDate
	}
	if s[12:16] == "0000" {
		return NIK{}, ErrSerial
	}
	return n, nil
}

// KK is a parsed family-card number (Nomor Kartu Keluarga): PPRRDD DDMMYY SSSS,
// where the date is the card's issue date.
type KK struct {
	Province, Regency, District string
}

// ParseKK checks the structure of a KK number: 16 digits, a non-zero region
// part, a real issue date and a non-zero serial.
func ParseKK(s string) (KK, error) {
	if !digits16(s) {
		return KK{}, ErrDigits
	}
	if s[0:2] < "11" || s[2:4] == "00" {
		return KK{}, ErrRegionPart
	}
	if !realDate(atoi(s[10:12]), atoi(s[8:10]), atoi(s[6:8])) {
		return KK{}, ErrBirthDate
	}
	if s[12:16] == "0000" {
		return KK{}, ErrSerial
	}
	return KK{Province: s[0:2], Regency: s[0:2] + "." + s[2:4], District: s[0:2] + "." + s[2:4] + "." + s[4:6]}, nil
}

// MaskNIK shows the first six and last two digits of a 16-digit number (a
// NIK or a KK): the kecamatan and nothing of the birth or issue date that
// digits 7–12 encode. A masked view must not show the birth date beside it
// either, or the hidden digits follow from it.
func MaskNIK(s string) string {
	if len(s) != 16 {
		return "****************"
	}
	return s[:6] + "********" + s[14:]
}

func digits16(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// realDate reports whether day/month/yy is a calendar date in 19yy or 20yy.
func realDate(yy, month, day int) bool {
	for _, century := range []int{1900, 2000} {
		y := century + yy
		t := time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if t.Year() == y && int(t.Month()) == month && t.Day() == day {
			return true
		}
	}
	return false
}

// ParseDate parses an ISO 8601 calendar date (YYYY-MM-DD).
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be a date as YYYY-MM-DD")
	}
	return t, nil
}
