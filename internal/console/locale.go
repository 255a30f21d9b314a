package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed locale/*.json
var localeFS embed.FS

// defaultLanguage is Bahasa Indonesia: the people of the office read it.
const defaultLanguage = "id"

// Locale is one language's message catalogue and its formats.
type Locale struct {
	Code     string
	messages map[string]string
	months   []string
	// zone is the clock dates are shown on (see In); WITA when nil.
	zone *time.Location
}

// languages are the catalogues shipped, the default first.
var languages = []string{"id", "en"}

func loadLocales() (map[string]*Locale, error) {
	out := map[string]*Locale{}
	for _, code := range languages {
		b, err := localeFS.ReadFile("locale/" + code + ".json")
		if err != nil {
			return nil, fmt.Errorf("console: locale %s: %w", code, err)
		}
		l := &Locale{Code: code}
		if err := json.Unmarshal(b, &l.messages); err != nil {
			return nil, fmt.Errorf("console: locale %s: %w", code, err)
		}
		l.months = strings.Split(l.messages["months"], " ")
		if len(l.months) != 12 {
			return nil, fmt.Errorf("console: locale %s: months must name 12 months", code)
		}
		out[code] = l
	}
	return out, nil
}

// locale is the request's language: the person's choice, else Indonesian.
func (c *Console) locale(r *http.Request) *Locale {
	if ck, err := r.Cookie(langCookie); err == nil {
		if l, ok := c.locales[ck.Value]; ok {
			return l
		}
	}
	return c.locales[defaultLanguage]
}

// T is the message for key, formatted with args; a key missing from the
// catalogue shows as itself (a test keeps the catalogues complete).
func (l *Locale) T(key string, args ...any) string {
	m, ok := l.messages[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// Enum is the label of a value of a kind (stage, outcome, role, …).
func (l *Locale) Enum(kind string, v any) string {
	s := fmt.Sprint(v)
	if s == "" {
		return ""
	}
	if m, ok := l.messages[kind+"."+s]; ok {
		return m
	}
	return s
}

// Date is a day as "29 Nov 2026" (in the language's month names), on the
// clock of the person's or the case's region (see In; WITA for Kutai
// Timur, UTC+8).
func (l *Locale) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(l.clock())
	return fmt.Sprintf("%d %s %d", t.Day(), l.months[t.Month()-1], t.Year())
}

// DateTime is a moment as "29 Nov 2026 14.05".
func (l *Locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return l.Date(t) + " " + t.In(l.clock()).Format("15.04")
}

// Day formats a YYYY-MM-DD date string as Date does.
func (l *Locale) Day(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%d %s %d", t.Day(), l.months[t.Month()-1], t.Year())
}

// Money is rupiah as "Rp 1.250.000".
func Money(v int64) string { return "Rp " + Num(v) }

// Num is a whole number with dots between thousands ("1.250").
func Num(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Pct is a percentage with a decimal comma ("12,5%").
func Pct(v float64) string {
	digits := 1
	if v > 0 && v < 1 {
		digits = 2 // a share of a whole regency's people is small; show it is not zero
	}
	return strings.Replace(strconv.FormatFloat(v, 'f', digits, 64), ".", ",", 1) + "%"
}
