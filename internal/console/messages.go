package console

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// This file says the domain's messages (field errors, rejections, timeline
// summaries, notifications, import row errors) in the page's language: each
// carries a catalogue key and typed arguments (household.Msg), and the
// catalogue's "msg.<key>" holds the words with {1}, {2}, … where the
// arguments go. An argument is shown as a person reads it: an
// enumeration's value by its label, a day in the locale's calendar words,
// a number with dots between thousands, a region by its name.

// placeholder is {1} … {9} in a catalogue message.
var placeholder = regexp.MustCompile(`\{([1-9])\}`)

// Say is a message in the locale's language. Without a catalogue entry for
// key (an old event, a text no template names) it is english in English
// and "" in any other language, so that no English reaches an Indonesian
// page: the caller shows its own general words instead.
func (l *Locale) Say(key string, args []household.Arg, english string) string {
	m, ok := l.messages["msg."+key]
	if key == "" || !ok {
		if l.Code == "en" {
			return english
		}
		return ""
	}
	return placeholder.ReplaceAllStringFunc(m, func(ph string) string {
		i, _ := strconv.Atoi(ph[1 : len(ph)-1])
		if i > len(args) {
			return ph
		}
		return l.arg(args[i-1])
	})
}

// arg is one argument in the locale's words.
func (l *Locale) arg(a household.Arg) string {
	out := make([]string, len(a.Values))
	for i, v := range a.Values {
		switch a.Kind {
		case household.ArgText:
			out[i] = v
		case household.ArgNumber:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[i] = Num(n)
			} else {
				out[i] = v
			}
		case household.ArgDate:
			out[i] = l.Day(v)
		case household.ArgBool:
			out[i] = l.T("no")
			if v == "true" {
				out[i] = l.T("yes")
			}
		case household.ArgRegion:
			out[i] = regionName(v)
		case household.ArgAssignment:
			program, agency, _ := strings.Cut(v, "→")
			out[i] = l.Enum("program", program) + " → " + l.Enum("agency", agency)
		default:
			out[i] = l.Enum(a.Kind, v)
		}
	}
	return strings.Join(out, ", ")
}

// FieldError is a field's message in the locale's language, or the
// catalogue's general words for a field when it has no key.
func (l *Locale) FieldError(e household.FieldError) string {
	if s := l.Say(e.Key, e.Args, e.Message); s != "" {
		return s
	}
	return l.T("form.fieldinvalid")
}

// Reason is an escalation's reason: the person's own words, or the rules'
// in the locale's language.
func (l *Locale) Reason(e household.Escalation) string {
	if e.ReasonKey == "" {
		return e.Reason
	}
	return l.Say(e.ReasonKey, e.ReasonArgs, e.Reason)
}

// Problem is the API's problem in words for a person: the kind in the
// catalogue's language, then what happened, by the problem's key.
func (l *Locale) Problem(p api.Problem) string {
	kind := l.T("problem." + strconv.Itoa(p.Status))
	if strings.HasPrefix(kind, "problem.") {
		kind = l.T("problem.other")
	}
	if s := l.Say(p.Key, p.Args, p.Detail); s != "" {
		return kind + ": " + s
	}
	return kind
}

// In is the locale showing dates and times on the clock of the region
// with that code (Kutai Timur: WITA).
func (l *Locale) In(code string) *Locale {
	c := *l
	c.zone = region.Zone(code)
	return &c
}

// DateIn is Date on the clock of the region with that code.
func (l *Locale) DateIn(t time.Time, code string) string { return l.In(code).Date(t) }

// DateTimeIn is DateTime on the clock of the region with that code.
func (l *Locale) DateTimeIn(t time.Time, code string) string { return l.In(code).DateTime(t) }

// clock is the zone dates are shown in: the person's or the case's
// region's, WITA when none is known.
func (l *Locale) clock() *time.Location {
	if l.zone == nil {
		return region.WITA
	}
	return l.zone
}

// oneRound puts the domain's own checks of a form's input beside the
// console's parse errors (a number that is no number), so that a refused
// form names every field's problem at once rather than in two rounds. A
// field the console could not read keeps its own message only. Without
// parse errors the input goes on as it is, to be checked by the service.
func oneRound(in any, parse error, domain func() error) (any, error) {
	var fe household.FieldErrors
	if parse == nil || !errors.As(parse, &fe) {
		return in, parse
	}
	var more household.FieldErrors
	if !errors.As(domain(), &more) {
		return in, fe
	}
	read := map[string]bool{}
	for _, e := range fe {
		read[e.Field] = true
	}
	all := append(household.FieldErrors(nil), fe...)
	for _, e := range more {
		if !read[e.Field] {
			all = append(all, e)
		}
	}
	return in, all
}

// validator is an action's input that checks itself on a day.
type validator interface{ Validate(now time.Time) error }

// checkedInput is read for a person whose region is scope, on the clock
// of that region: see oneRound.
func checkedInput(read func() (any, error), scope string, now time.Time) func() (any, error) {
	return func() (any, error) {
		in, err := read()
		v, ok := in.(validator)
		if !ok {
			return in, err
		}
		return oneRound(in, err, func() error { return v.Validate(now.In(region.Zone(scope))) })
	}
}
