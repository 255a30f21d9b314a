package household

import "strings"

// TidyNumber is a KK or NIK as a person may type or copy it, "6408 0101
// 0120 0001" or "6408.0101.0120.0001", without its separators (spaces, no-
// break spaces, dots, hyphens). Anything else stays, for the rules to
// refuse.
func TidyNumber(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u00a0', '\u202f', '.', '-':
			return -1
		}
		return r
	}, s)
}

// Tidy is the input with its family-card and head's numbers tidied (see
// TidyNumber). Every path that opens a case (the API, the console, a list
// import) tidies before it validates.
func (in OpenInput) Tidy() OpenInput {
	in.KK, in.HeadNIK = TidyNumber(in.KK), TidyNumber(in.HeadNIK)
	return in
}

// Tidy is the survey with its members' NIKs tidied (see TidyNumber).
func (s Survey) Tidy() Survey {
	if len(s.Members) == 0 {
		return s
	}
	members := make([]Member, len(s.Members))
	for i, m := range s.Members {
		m.NIK = TidyNumber(m.NIK)
		members[i] = m
	}
	s.Members = members
	return s
}

// Tidy is the input with its survey tidied.
func (in SurveyInput) Tidy() SurveyInput {
	in.Survey = in.Survey.Tidy()
	return in
}
