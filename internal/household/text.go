package household

import (
	"strings"
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

// Text checks a required free-text field: 1 to max characters of valid
// UTF-8, not only spaces.
func (fe *FieldErrors) Text(field, v string, max int) {
	if strings.TrimSpace(v) == "" || !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		fe.Add(field, "must be 1 to %d characters of text", max)
	}
}

// OptionalText checks a free-text field that may be empty.
func (fe *FieldErrors) OptionalText(field, v string, max int) {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		fe.Add(field, "must be at most %d characters of text", max)
	}
}
