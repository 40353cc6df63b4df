package export

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// Text is a text cell that a spreadsheet will not run: one it would read
// as a formula (a respondent could plant =HYPERLINK(...) for staff to
// open) gets a leading apostrophe, which spreadsheets hide.
func Text(s string) string {
	if formula(s) {
		return "'" + s
	}
	return s
}

// formula reports whether a spreadsheet opening the file would evaluate
// s: it starts with = + - @, a tab or a carriage return (the characters
// that start a formula, and those that Excel drops before one), and is not
// a plain number such as -3, which it reads as that number.
func formula(s string) bool {
	return s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 && !plainNumber.MatchString(s)
}

var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// answerText is a text answer's cell: Text, and a text that reads exactly
// as a missing-value code gets the apostrophe too, so that a respondent
// who typed "-7" is not read as not reached.
func answerText(s string) string {
	if n, err := strconv.Atoi(s); err == nil && strconv.Itoa(n) == s && n >= instrument.PreferNotToSayCode && n <= instrument.NotAnsweredCode {
		return "'" + s
	}
	return Text(s)
}
