package household

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text limits, in characters (not bytes), shared by the API, the import
// and the domain's own checks.
const (
	MaxName    = 100
	MaxAddress = 300
	MaxMinutes = 100
	MaxNote    = 2000
)

// Text checks a required one-line text field (a name, an address, a
// minutes number): 1 to max characters of valid UTF-8, not only spaces,
// and no control characters (a NUL or an escape sequence stored in a name
// would reach every screen and export).
func (fe *FieldErrors) Text(field, v string, max int) {
	if strings.TrimSpace(v) == "" || !cleanText(v, max, false) {
		fe.Add(field, "must be 1 to %d characters of text, without control characters", max)
	}
}

// Lines checks a required text that may run over several lines (an
// address): line breaks and tabs are allowed, other control characters
// are not.
func (fe *FieldErrors) Lines(field, v string, max int) {
	if strings.TrimSpace(v) == "" || !cleanText(v, max, true) {
		fe.Add(field, "must be 1 to %d characters of text, without control characters", max)
	}
}

// Note checks a required free-text note of up to MaxNote characters.
func (fe *FieldErrors) Note(field, v string) { fe.Lines(field, v, MaxNote) }

// OptionalNote checks a note that may be empty.
func (fe *FieldErrors) OptionalNote(field, v string) {
	if !cleanText(v, MaxNote, true) {
		fe.Add(field, "must be at most %d characters of text, without control characters", MaxNote)
	}
}

func cleanText(v string, max int, multiline bool) bool {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return false
	}
	visible := false
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return false
		}
		// Format characters (zero-width, bidirectional overrides) and the
		// line and paragraph separators hide or reorder what a reader sees.
		if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			return false
		}
		visible = visible || !blank(r)
	}
	return visible || v == ""
}

// blank reports whether r shows nothing on its own: white space, a
// filler that fonts draw empty (the Hangul fillers, the blank Braille
// pattern, the null notehead, the object replacement character), a
// combining mark with nothing to combine with, or a character no font
// shares (private use, unassigned). A text of only these would be a name
// no one can read or find.
func blank(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800', '\uFFFC', '\U0001D159':
		return true
	}
	// Control and format characters are refused before this is asked;
	// what is left outside these categories is private use or unassigned.
	return unicode.IsSpace(r) || unicode.In(r, unicode.Mn, unicode.Me) ||
		!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}
