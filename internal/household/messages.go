package household

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/region"
)

// Msg is a text for a person: its English words, which the API sends as
// detail for machines and logs keep, and the catalogue key and arguments
// with which a page says it in the reader's own language. Key is "" for a
// text no catalogue holds (a test keeps every template of the domain in
// the table below).
type Msg struct {
	Text string
	Key  string
	Args []Arg
}

// Arg is one value a message names, with the kind of value it is, so that
// a reader shows it in their language: an enumeration's values by their
// labels, a date in the local calendar's words, a number with the locale's
// separators. Values holds one value, or a list (an enumeration's allowed
// values).
type Arg struct {
	Kind   string   `json:"kind,omitempty"`
	Values []string `json:"values"`
}

// Kinds of arguments besides enumerations, whose kind is the
// enumeration's name ("stage", "occupation", …; see Enumerations).
const (
	// ArgText is shown as it is: an ID, a minutes number, a reason typed
	// by a person.
	ArgText = ""
	// ArgNumber is a whole number.
	ArgNumber = "number"
	// ArgDate is a calendar day, YYYY-MM-DD.
	ArgDate = "date"
	// ArgBool is true or false (yes or no).
	ArgBool = "bool"
	// ArgRegion is a Kemendagri region code, shown by its name.
	ArgRegion = "region"
	// ArgAssignment is a program given to an agency, "program→agency".
	ArgAssignment = "assignment"
)

// Msgf is the message of a template and its arguments. The template is
// the catalogue key's source: the key is looked up in the table of
// templates, and the English text is fmt.Sprintf's.
func Msgf(format string, args ...any) Msg { return msgf("", format, args) }

func msgf(field, format string, args []any) Msg {
	if format == "%v" && len(args) == 1 {
		// A wrapped rule's error (a NIK's, a date's) says its own
		// constant template.
		if err, ok := args[0].(error); ok {
			return Msg{Text: err.Error(), Key: messageKeys[err.Error()]}
		}
	}
	m := Msg{Text: fmt.Sprintf(format, args...), Key: messageKeys[format]}
	if len(args) > 0 {
		m.Args = make([]Arg, len(args))
		for i, a := range args {
			m.Args[i] = argOf(field, a)
		}
	}
	return m
}

// MessageKey is the catalogue key of a template, "" when the table has
// none.
func MessageKey(template string) string { return messageKeys[template] }

// Templates are every template the table holds, by key.
func Templates() map[string]string {
	out := make(map[string]string, len(messageTable))
	for _, m := range messageTable {
		out[m.key] = m.template
	}
	return out
}

// act names an action in a rejection ("survey", "graduation", …); its
// type tells a message's argument that it is one.
type act string

// agencyName is an agency as a message names it.
type agencyName string

// assignments are the programs given to agencies in one assignment,
// written "pkh→dinsos, rtlh→disperkim".
type assignments []Assignment

func (as assignments) String() string {
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = string(a.Program) + "→" + a.Agency
	}
	return strings.Join(names, ", ")
}

// actions are the actions a rejection may name.
var actions = []act{"survey", "village confirmation", "verification", "graduation", "assigning interventions",
	"intervention status", "follow-up visit", "escalation", "resolving an escalation", "closing",
	"resolving a possible duplicate", "reminder", "transfer", "answering a transfer", "cancelling a transfer",
	"screening a proposal", "recording an objection", "answering an objection", "upholding an objection"}

// enumKinds name the enumerations by their Go types.
var enumKinds = map[reflect.Type]string{
	reflect.TypeFor[Stage]():               "stage",
	reflect.TypeFor[Status]():              "status",
	reflect.TypeFor[Outcome]():             "outcome",
	reflect.TypeFor[Source]():              "source",
	reflect.TypeFor[VillageDecision]():     "decision",
	reflect.TypeFor[VerificationOutcome](): "verdict",
	reflect.TypeFor[EscalationLevel]():     "level",
	reflect.TypeFor[InterventionStatus]():  "ivstatus",
	reflect.TypeFor[Role]():                "role",
	reflect.TypeFor[Relation]():            "relation",
	reflect.TypeFor[Sex]():                 "sex",
	reflect.TypeFor[Education]():           "education",
	reflect.TypeFor[Occupation]():          "occupation",
	reflect.TypeFor[Program]():             "program",
	reflect.TypeFor[DuplicateDecision]():   "dupdecision",
	reflect.TypeFor[Keep]():                "keep",
	reflect.TypeFor[TransferStatus]():      "transferstatus",
	reflect.TypeFor[TransferDecision]():    "transferdecision",
	reflect.TypeFor[TransferDirection]():   "transferdirection",
	reflect.TypeFor[act]():                 "action",
	reflect.TypeFor[agencyName]():          "agency",
	reflect.TypeFor[region.Level]():        "regionlevel",
	reflect.TypeFor[ProposalStatus]():      "proposalstatus",
	reflect.TypeFor[ScreenDecision]():      "screendecision",
	reflect.TypeFor[HeldBy]():              "heldby",
	reflect.TypeFor[ObjectionReason]():     "objectionreason",
	reflect.TypeFor[ObjectorRelation]():    "objector",
	reflect.TypeFor[ObjectionStatus]():     "objectionstatus",
	reflect.TypeFor[AnswerDecision]():      "answerdecision",
}

// fieldKinds are the enumerations held as plain strings, named by the
// last part of the field that holds them ("housing.floor": floor).
var fieldKinds = map[string]bool{"floor": true, "wall": true, "roof": true, "water": true, "sanitation": true,
	"electricity": true, "agency": true}

// Enumerations are the values of every enumeration a message may name, by
// kind: a reader's catalogue labels each.
func Enumerations() map[string][]string {
	return map[string][]string{
		"stage": strs(Stages), "status": strs(Statuses), "outcome": strs(Outcomes), "source": strs(Sources),
		"decision": strs(VillageDecisions), "verdict": strs(VerificationOutcomes), "level": strs(EscalationLevels),
		"ivstatus": strs(InterventionStatuses), "role": strs(append(Roles[:len(Roles):len(Roles)], RoleSystem)),
		"relation": strs(Relations), "sex": strs(Sexes), "education": strs(Educations), "occupation": strs(Occupations),
		"program": strs(Programs), "dupdecision": strs(DuplicateDecisions), "keep": strs(Keeps), "action": strs(actions),
		"transferstatus": strs(TransferStatuses), "transferdecision": strs(TransferDecisions), "transferdirection": strs(TransferDirections),
		"agency": Agencies, "regionlevel": strs([]region.Level{region.Province, region.Regency, region.District, region.Village}),
		"floor": Floors, "wall": Walls, "roof": Roofs, "water": Waters, "sanitation": Sanitations, "electricity": Electricities,
		"proposalstatus": strs(ProposalStatuses), "screendecision": strs(ScreenDecisions), "heldby": strs(HeldBys),
		"objectionreason": strs(ObjectionReasons), "objector": strs(ObjectorRelations), "objectionstatus": strs(ObjectionStatuses),
		"answerdecision": strs(AnswerDecisions),
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// argOf is v as a message's argument; field, when the message is about
// one, names the enumeration of a plain string.
func argOf(field string, v any) Arg {
	switch x := v.(type) {
	case assignments:
		return Arg{Kind: ArgAssignment, Values: strings.Split(x.String(), ", ")}
	case bool:
		return Arg{Kind: ArgBool, Values: []string{strconv.FormatBool(x)}}
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return Arg{Kind: ArgNumber, Values: []string{fmt.Sprint(x)}}
	case error:
		return Arg{Values: []string{x.Error()}}
	case fmt.Stringer:
		return Arg{Values: []string{x.String()}}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		kind, ok := enumKinds[rv.Type().Elem()]
		if !ok && rv.Type().Elem().Kind() == reflect.String {
			kind = fieldKind(field)
		}
		vals := make([]string, rv.Len())
		for i := range vals {
			vals[i] = fmt.Sprint(rv.Index(i).Interface())
		}
		return Arg{Kind: kind, Values: vals}
	}
	s := fmt.Sprint(v)
	if kind, ok := enumKinds[rv.Type()]; ok {
		return Arg{Kind: kind, Values: []string{s}}
	}
	if _, err := time.Parse(time.DateOnly, s); err == nil && len(s) == len(time.DateOnly) {
		return Arg{Kind: ArgDate, Values: []string{s}}
	}
	if strings.Contains(s, ".") {
		if _, ok := region.Lookup(s); ok {
			return Arg{Kind: ArgRegion, Values: []string{s}}
		}
	}
	return Arg{Values: []string{s}}
}

// fieldKind is the enumeration a plain-string field holds, "" for none.
func fieldKind(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		field = field[i+1:]
	}
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i]
	}
	if fieldKinds[field] {
		return field
	}
	return ""
}

// messageTable is every template a person may read, from the domain and
// from the layers that check input before it (the API's service, the
// console's form parsing, the list import), each with its stable
// catalogue key: a page looks up "msg.<key>" in its language and fills in
// {1}, {2}, … with the arguments. A template's text may change (its key
// stays); a new template needs a key here and a line in every catalogue,
// or the console's tests fail.
var messageTable = []struct{ key, template string }{
	// Field rules.
	{"one_of", "must be one of %v"},
	{"rupiah", "must be whole rupiah between 0 and %d"},
	{"text", "must be 1 to %d characters of text, without control characters"},
	{"text_optional", "must be at most %d characters of text, without control characters"},
	{"id_length", "must be 1 to %d characters"},
	{"digits16", "must be exactly 16 digits"},
	{"nik_date", "birth-date digits (7-12) are not a real date"},
	{"nik_serial", "serial digits (13-16) must not be all zero"},
	{"nik_region", "region digits (1-6) are not a valid code"},
	{"date", "must be a date as YYYY-MM-DD"},
	{"nik_regency", "digits 1-4 (%s) are not a regency or city of the registry"},
	{"nik_province", "digits 1-2 (%s) are not an Indonesian province code"},
	{"village_code", "must be a village (desa/kelurahan) code of the registry, like 64.08.01.2001"},
	{"outside_region", "lies outside your region %s"},
	{"desil", "must be a decile from 1 to 10"},
	{"members", "must list between 1 and %d members"},
	{"nik_twice", "appears twice in the household"},
	{"birth_date", "must be between 1900-01-01 and today"},
	{"one_head", "must have exactly one member with relation head"},
	{"max_entries", "at most %d entries"},
	{"between", "must be between 0 and %d"},
	{"programs_max", "at most %d entries, each program once"},
	{"listed_twice", "listed twice"},
	{"keep_split", "is only for a split"},
	{"before_previous_visit", "must not be before the previous visit (%s)"},
	{"before_follow_up", "must not be before the case entered follow-up (%s)"},
	{"before_opened", "must not be before the case was opened (%s)"},
	{"future", "must not be in the future"},
	{"already_assigned", "%s is already assigned to %s"},
	{"programs_count", "must list 1 to %d programs"},
	{"reason_confirmed", "must be empty when the household is confirmed"},
	{"photo_id", "must be the ID of an uploaded photo"},
	{"latitude", "must be a latitude within Indonesia, from -11.5 to 6.5"},
	{"longitude", "must be a longitude within Indonesia, from 94.5 to 141.5"},
	{"photo_too_large", "the photo is larger than %d KB"},
	{"photo_jpeg", "must be a JPEG photo"},
	{"photo_pixels", "must be at most %d pixels on each side"},
	{"photo_missing", "no photo with this ID was uploaded for this case; upload it first"},
	{"photo_media", "send the photo as image/jpeg"},
	// Rejections of an action (conflicts, roles, limits).
	{"stage_conflict", "%s is not possible while the case is %s"},
	{"needs_role", "%s needs role %v"},
	{"case_outside_region", "the case lies outside region %s"},
	{"events_limit", "%s: the case has recorded its limit of %d events; a supervisor may close it"},
	{"no_duplicate", "no possible duplicate %q in this case"},
	{"duplicate_resolved", "possible duplicate %s is already resolved"},
	{"escalations_limit", "the case has been escalated %d times, the most it records"},
	{"escalation_open", "an escalation to the %s is still open; answer it first"},
	{"escalation_resolved", "escalation %s is already resolved"},
	{"province_answers", "a province escalation is answered by the province"},
	{"no_escalation", "no escalation %q in this case"},
	{"interventions_limit", "the case holds %d interventions; it may hold at most %d"},
	{"no_intervention", "no intervention %q in this case"},
	{"no_intervention_agency", "no intervention %q for agency %s in this case"},
	{"intervention_transition", "intervention %s cannot go from %s to %s"},
	{"drafts_limit", "the survey has been saved as a draft %d times; submit it"},
	// Transfers (pindah domisili).
	{"moving_away", "%s waits while the household's move to %s is pending"},
	{"same_village", "is the village the case is in already"},
	{"transfer_pending", "transfer %s to %s is pending; it must be answered or cancelled first"},
	{"transfers_limit", "the case has been transferred %d times, the most it records"},
	{"no_pending_transfer", "no transfer of this case is pending"},
	{"moves_outside_region", "the household moves to a village outside region %s"},
	{"transfer_answered", "transfer %s is already %s"},
	{"no_transfer", "no transfer %q in this case"},
	// Timeline summaries and notifications.
	{"ev_opened", "case opened from %s"},
	{"ev_closed", "closed: %s"},
	{"ev_possible_duplicate", "%s: a person of this household is also in another open case"},
	{"ev_duplicate_resolved", "%s resolved: %s"},
	{"ev_duplicate_resolved_other", "%s resolved on the other case: %s"},
	{"ev_escalated", "%s to %s: %s"},
	{"ev_escalation_resolved", "%s resolved"},
	{"ev_visit", "visit %d, above line: %t"},
	{"ev_visit_not_counted", "visit %d, above line: %t (not counted toward graduation: less than %d days after the visit of %s)"},
	{"ev_graduated_visits", "two consecutive visits above the line"},
	{"ev_graduated_decision", "verifier's decision"},
	{"ev_assigned", "assigned %s"},
	{"ev_intervention", "%s (%s) %s"},
	{"ev_survey", "%d members, recommendation %s"},
	{"ev_verified", "outcome %s"},
	{"ev_verified_differs", "outcome %s (differs from the recommendation)"},
	{"ev_village_confirmed", "musdes %s"},
	{"ev_village_rejected", "rejected: %s"},
	{"ev_deadline_passed", "%s deadline %s passed"},
	{"ev_auto_escalated", "%s to regency: deadline missed twice over"},
	{"ev_visit_due", "follow-up visit due %s"},
	{"ev_visit_overdue", "follow-up visit overdue"},
	{"auto_escalation_reason", "%s is twice past its deadline"},
	{"ev_transfer_requested", "%s: move to %s requested"},
	{"ev_transfer_accepted", "%s accepted: the case moves from %s to %s"},
	{"ev_transfer_refused", "%s refused: %s"},
	{"ev_transfer_cancelled", "%s cancelled"},
	{"ev_transfer_due", "%s: the answer to the move to %s was due %s"},
	{"ev_transfer_escalated", "%s to %s: a transfer unanswered twice over its deadline"},
	{"transfer_escalation_reason", "%s is twice past its deadline for an answer"},
	// The living list: village proposals and objections (issue 24).
	{"ev_opened_proposal", "case opened from village proposal %s"},
	{"ev_proposed", "proposed by the village, musdes %s"},
	{"ev_proposal_rejected", "rejected by Dinsos: %s"},
	{"ev_proposal_accepted", "accepted; case %s opened"},
	{"ev_proposal_refused", "refused: the %s is already in an open case"},
	{"ev_screening_deadline", "screening deadline %s passed"},
	{"ev_screening_escalated", "screening is twice past its deadline"},
	{"proposal_outside_region", "the proposal lies outside region %s"},
	{"proposal_answered", "the proposal is already answered (%s)"},
	{"ev_objected", "objection recorded: %s (objector: %s)"},
	{"ev_objection_answered", "answered by Dinsos: %s"},
	{"ev_objection_lapsed", "unanswered by its deadline %s: upheld"},
	{"ev_objection_case_stage", "the case is now %s"},
	{"ev_objection_reverify", "objection %s upheld (%s): the household is verified again"},
	{"ev_objection_weighed", "objection %s upheld (%s): verification will weigh it"},
	{"objection_outside_region", "the objection lies outside region %s"},
	{"objection_answered", "the objection is already answered (%s)"},
	{"objection_not_due", "objection %s is not yet past its deadline"},
	{"objection_attached", "objection %s is already upheld on this case"},
	{"objections_limit", "the case holds %d upheld objections, the most it records"},
	{"list_not_published", "the village's list is not open for objections; publish it first"},
	{"publication_until", "must be a day from today to %d days ahead"},
	{"no_proposal", "no such proposal"},
	{"no_objection", "no such objection"},
	{"lists_unavailable", "village proposals and objections are not available on this server"},
	// The API's service.
	{"registry_code", "must be a %s code of the registry"},
	{"true_false", "must be true or false"},
	{"limit", "must be a whole number from 1 to %d"},
	{"cursor", "is not a cursor this API issued"},
	{"kecamatan_code", "must be a kecamatan code of the registry"},
	{"regency_in_region", "must be a regency code within your region"},
	// Reports (issue 23).
	{"period_required", "is required (YYYY-MM-DD)"},
	{"period_bound", "must be a date YYYY-MM-DD or an RFC 3339 time"},
	{"period_reversed", "must not be before from"},
	{"period_too_long", "a period spans at most five years"},
	{"open_stage", "must be a stage of an open case"},
	{"region_code", "must be a region code of the registry"},
	{"reports_unavailable", "reports are not available on this server"},
	{"reports_loading", "the report's figures are still being read after a restart; retry in a minute"},
	{"progress_unavailable", "progress over time is not available on this server"},
	{"no_file_part", "the form has no part named file"},
	{"file_too_large", "the file is larger than %d MiB"},
	{"import_media", "send the list as text/csv, or as the file part of multipart/form-data"},
	{"no_boundary", "the multipart body has no boundary"},
	{"role_endpoint", "your role may not use this endpoint"},
	{"no_case", "no such case"},
	{"no_import", "no such import"},
	{"no_photo", "no such photo"},
	{"case_closed", "the case is closed (%s)"},
	{"case_halted", "case %s ended abnormally (its workflow is no longer running); an administrator must look at it before anything more is done for this family card"},
	{"kk_open_elsewhere", "this family card already has an open case outside your region"},
	{"kk_open", "family card %s already has an open case %s"},
	{"kk_halted", "this family card's last case ended abnormally; an administrator must look at it before it is opened again"},
	{"next_cycle", "the case is starting its next cycle; retry in a moment"},
	{"not_running", "the case is no longer running"},
	{"workflow_unavailable", "the workflow service is unavailable; retry later"},
	{"case_timeout", "the case did not answer in time; retry later"},
	{"timeout", "a service Tuntas depends on did not answer in time; retry later"},
	{"store_unavailable", "the case store is unavailable; retry later"},
	{"internal", "an internal error occurred; quote the request ID when reporting it"},
	{"too_many", "too many requests from this account; wait and retry"},
	{"invalid_fields", "the request has invalid fields"},
	{"canceled", "the request was canceled"},
	{"no_route", "no such route"},
	{"method", "method not allowed on this route"},
	{"no_token", "send a bearer token in the Authorization header"},
	{"bad_token", "the token is invalid or expired"},
	{"json_media", "send the body as application/json"},
	{"json_one_object", "the body must hold exactly one JSON object"},
	{"json_too_large", "the body is larger than %d KiB"},
	{"json_invalid", "the body is not valid JSON"},
	{"json_empty", "the body is empty"},
	{"json_unreadable", "the body could not be read as the expected JSON object"},
	{"json_kind", "must be a JSON %s"},
	{"json_unknown_field", "is not a known field"},
	{"idempotency_key", "must be 1 to 255 printable ASCII characters"},
	{"idempotency_reused", "was used before for a different request body"},
	{"idempotency_busy", "a request with this Idempotency-Key is still being answered; retry shortly"},
	{"report_format", "must be csv or json"},
	{"region_code", "must be a region code of the registry"},
	// The console's form parsing.
	{"rupiah_typed", "must be whole rupiah, e.g. 1.250.000"},
	{"whole_number", "must be a whole number"},
	// The list import.
	{"csv_row", "not a valid CSV row: %v"},
	{"header_lacks", "the header lacks %s"},
	{"header_first", "must start with a header row: %s"},
	{"header_twice", "the header names %s twice"},
	{"repeated", "%s also on line %d"},
	{"head_elsewhere", "head is a member of another open case (%s)"},
}

// messageKeys is messageTable by template.
var messageKeys = func() map[string]string {
	m := make(map[string]string, len(messageTable))
	for _, e := range messageTable {
		m[e.template] = e.key
	}
	return m
}()
