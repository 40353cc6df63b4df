package export

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// Syntax files that read the export into R, Stata or SPSS with the
// codebook's labels. Each is written for one export file — full or
// de-identified — from its Book, and reads it as responses.csv from the
// working directory.

// File is the name the syntax files read the export by.
const File = "responses.csv"

// syntax collects a syntax file's text.
type syntax struct{ strings.Builder }

func (s *syntax) printf(format string, args ...any) { fmt.Fprintf(s, format, args...) }

// list writes items, n to a line after indent, joined by join; each line
// but the last ends with more, the last with end.
func (s *syntax) list(items []string, n int, indent, join, more, end string) {
	for i := 0; i < len(items); i += n {
		s.printf("%s%s", indent, strings.Join(items[i:min(i+n, len(items))], join))
		if i+n < len(items) {
			s.printf("%s\n", more)
		}
	}
	s.printf("%s\n", end)
}

// describe names the file a syntax is written for, in its header.
func (b *Book) describe() string {
	kind := "full export (names and emails included)"
	if b.Deidentified {
		kind = "de-identified export"
	}
	return fmt.Sprintf("%s (%s), the %s of %d rows", b.Title, b.Survey, kind, b.Rows)
}

// questions are the variables of question columns: those with missing codes.
func (b *Book) questions() []*Variable {
	var out []*Variable
	for i := range b.Variables {
		if len(b.Variables[i].Missing) > 0 {
			out = append(out, &b.Variables[i])
		}
	}
	return out
}

// labels are a variable's value labels in order: the values by code, then
// its missing codes in the codebook's order.
func (v *Variable) labels() (codes, labels []string) {
	values := make([]string, 0, len(v.Values))
	for code := range v.Values {
		values = append(values, code)
	}
	slices.SortFunc(values, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	for _, code := range values {
		codes, labels = append(codes, code), append(labels, v.Values[code])
	}
	for _, mc := range missingCodes {
		if label, ok := v.Missing[strconv.Itoa(mc.Code)]; ok {
			codes, labels = append(codes, strconv.Itoa(mc.Code)), append(labels, label)
		}
	}
	return codes, labels
}

// WriteR writes an R script that reads the export into the data frame
// responses: coded questions as factors, the missing-value codes NA with
// the reason in the data frame responses_missing, times as POSIXct, and
// every text, id and code (a FIPS code's leading zero) as character.
func WriteR(w io.Writer, b *Book) error {
	var s syntax
	s.printf("# R: reads %s into the data frame `responses`.\n", File)
	s.printf("# %s, from Canvass.\n", b.describe())
	s.printf("# Run it in the folder that holds %s: source(\"responses.R\") or Rscript responses.R.\n", File)
	s.printf("# Coded questions become factors; the missing-value codes (-5 to -9) become NA, and why each is missing\n")
	s.printf("# is in the data frame `responses_missing` (one factor per question column, NA where answered).\n")
	s.printf("# Variable labels are each column's \"label\" attribute.\n\n")
	var names, classes, labels []string
	for _, v := range b.Variables {
		class := "character"
		switch {
		case v.Type == instrument.Number:
			class = "numeric"
		case v.numeric():
			class = "integer"
		}
		names = append(names, rString(v.Name))
		classes = append(classes, rString(v.Name)+" = "+rString(class))
		labels = append(labels, rString(v.Name)+" = "+rString(v.Label))
	}
	s.printf("responses <- read.csv(%s, encoding = \"UTF-8\", na.strings = \"\", check.names = FALSE,\n  colClasses = c(\n", rString(File))
	s.list(classes, 1, "    ", "", ",", "))")
	s.printf("if (!identical(names(responses), c(\n")
	s.list(names, 6, "    ", ", ", ",", "))) {")
	s.printf("  stop(%s)\n}\n\n", rString(File+" does not have the columns this script was written for: download both again"))

	var why []string
	for _, mc := range missingCodes {
		why = append(why, rString(strconv.Itoa(mc.Code))+" = "+rString(mc.Label))
	}
	// The rest runs in local(), so that its helpers leave no objects
	// behind; <<- sets the two data frames.
	s.printf("local({\n  # Why a value is missing, by its code.\n  why <- c(%s)\n  labels <- list(\n", strings.Join(why, ", "))
	var coded []string
	for _, v := range b.Variables {
		if v.numeric() && len(v.Values) > 0 {
			codes, labels := v.labels()
			var pairs []string
			for i, code := range codes {
				if _, missing := v.Missing[code]; !missing {
					pairs = append(pairs, rString(code)+" = "+rString(labels[i]))
				}
			}
			coded = append(coded, rString(v.Name)+" = c("+strings.Join(pairs, ", ")+")")
		}
	}
	s.list(coded, 1, "    ", "", ",", "  )")
	var questions []string
	for _, v := range b.questions() {
		questions = append(questions, rString(v.Name))
	}
	s.printf("  questions <- c(\n")
	s.list(questions, 6, "    ", ", ", ",", "  )")
	s.printf(`  why_missing <- responses["case_id"]
  for (v in questions) {
    x <- responses[[v]]
    reason <- unname(why[as.character(x)])
    why_missing[[v]] <- factor(reason, levels = why)
    x[!is.na(reason)] <- NA
    if (!is.null(labels[[v]])) x <- factor(x, levels = as.numeric(names(labels[[v]])), labels = labels[[v]])
    responses[[v]] <<- x
  }
  responses_missing <<- why_missing
`)
	var stamps []string
	for _, v := range b.Variables {
		if v.Type == "datetime" {
			stamps = append(stamps, rString(v.Name))
		}
	}
	s.printf("  for (v in c(%s)) responses[[v]] <<- as.POSIXct(responses[[v]], format = \"%%Y-%%m-%%dT%%H:%%M:%%SZ\", tz = \"UTC\")\n", strings.Join(stamps, ", "))
	s.printf("  var_labels <- c(\n")
	s.list(labels, 1, "    ", "", ",", "  )")
	s.printf("  for (v in names(var_labels)) attr(responses[[v]], \"label\") <<- var_labels[[v]]\n})\n")
	_, err := io.WriteString(w, s.String())
	return err
}

// rString is s as an R string literal, in ASCII whatever the script's
// encoding is read as: other characters as \u escapes.
func rString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == 0: // R strings cannot hold NUL
		case r >= ' ' && r < 0x7f:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, `\U{%x}`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// statNames are the variables' names for a program whose names have at
// most max bytes and may not be one of reserved: a name that is too long
// or reserved is cut and numbered, unique among them all, and every other
// name kept.
func statNames(vars []Variable, max int, reserved func(string) bool) []string {
	out := make([]string, len(vars))
	taken := map[string]bool{}
	for i, v := range vars {
		if len(v.Name) <= max && !reserved(v.Name) && !taken[v.Name] {
			out[i], taken[v.Name] = v.Name, true
		}
	}
	for i, v := range vars {
		for n := 2; out[i] == ""; n++ {
			suffix := "_" + strconv.Itoa(n)
			if name := v.Name[:min(len(v.Name), max-len(suffix))] + suffix; !reserved(name) && !taken[name] {
				out[i], taken[name] = name, true
			}
		}
	}
	return out
}

// stataReserved are the names Stata keeps for itself.
var stataReserved = regexp.MustCompile(`^(_all|_b|byte|_coef|_cons|double|float|if|in|int|long|_n|_N|_pi|_pred|_rc|_skip|strL|str[0-9]+|using|with)$`)

// WriteStata writes a do-file that imports the export: every column as
// text first, so ids and codes keep their leading zeros, then the numeric
// columns destrung; the missing-value codes become the extended missing
// values .a to .e, labelled with their reason; coded questions get their
// value labels and every column its variable label.
func WriteStata(w io.Writer, b *Book) error {
	var s syntax
	names := statNames(b.Variables, 32, stataReserved.MatchString)
	s.printf("* Stata: imports %s; run it in the folder that holds it: do responses.do\n", File)
	s.printf("* %s, from Canvass.\n", oneLine(b.describe()))
	s.printf("* Every column is read as text, then the numeric ones are destrung, so ids and codes keep their leading zeros.\n")
	s.printf("* The missing-value codes become extended missing values:")
	for i, mc := range missingCodes {
		s.printf(" %d = %s (%s)", mc.Code, stataMissing(i), mc.Label)
	}
	s.printf(".\n* Text answers keep their codes as text.\n")
	s.printf("version 14\n")
	s.printf("import delimited using %q, varnames(nonames) rowrange(2) stringcols(_all) encoding(\"utf-8\") bindquote(strict) maxquotedrows(unlimited) clear\n", File)
	s.printf("if c(k) != %d {\n  display as error %q\n  exit 459\n}\n", len(names), File+" does not have the columns this do-file was written for: download both again")
	var vs []string
	for i := range names {
		vs = append(vs, "v"+strconv.Itoa(i+1))
	}
	s.printf("rename (")
	s.list(vs, 12, "", " ", " ///", ") ///")
	s.printf("  (")
	s.list(names, 6, "", " ", " ///", ")")
	var numeric, coded []string
	for i := range b.Variables {
		if b.Variables[i].numeric() {
			numeric = append(numeric, names[i])
			if len(b.Variables[i].Missing) > 0 {
				coded = append(coded, names[i])
			}
		}
	}
	s.printf("destring ")
	s.list(numeric, 8, "", " ", " ///", ", replace")
	if len(coded) > 0 {
		var mv []string
		for i, mc := range missingCodes {
			mv = append(mv, fmt.Sprintf("%d=%s", mc.Code, stataMissing(i)))
		}
		s.printf("mvdecode ")
		s.list(coded, 8, "", " ", " ///", ", mv("+strings.Join(mv, ` \ `)+")")
	}
	for i := range b.Variables {
		v := &b.Variables[i]
		if v.numeric() && len(v.Values)+len(v.Missing) > 0 {
			codes, labels := v.labels()
			s.printf("label define %s", names[i])
			for k, code := range codes {
				if j := slices.IndexFunc(missingCodes, func(mc MissingCode) bool { return strconv.Itoa(mc.Code) == code }); j >= 0 {
					code = stataMissing(j)
				}
				s.printf(" ///\n  %s %s", code, stataString(labels[k], 32000))
			}
			s.printf(", replace\nlabel values %s %s\n", names[i], names[i])
		}
		s.printf("label variable %s %s\n", names[i], stataString(v.Label, 80))
	}
	_, err := io.WriteString(w, s.String())
	return err
}

// stataMissing is the extended missing value of missingCodes[i].
func stataMissing(i int) string { return "." + string(rune('a'+i)) }

// stataString is s, cut to max characters, as a Stata compound string:
// line breaks become spaces, and the macro characters $ and ` are escaped
// so that Stata does not expand them.
func stataString(s string, max int) string {
	s = strings.NewReplacer("$", `\$`, "`", "\\`", `"'`, `"’`).Replace(oneLine(cut(s, max, false)))
	return "`\"" + s + "\"'"
}

// oneLine is s on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// cut shortens s to at most max characters (bytes when inBytes), whole
// characters only.
func cut(s string, max int, inBytes bool) string {
	n := 0
	for i, r := range s {
		size := 1
		if inBytes {
			size = utf8.RuneLen(r)
		}
		if n+size > max {
			return s[:i]
		}
		n += size
	}
	return s
}

// spssReserved are SPSS's reserved words, which name no variable.
var spssReserved = regexp.MustCompile(`(?i)^(all|and|by|eq|ge|gt|le|lt|ne|not|or|to|with)$`)

// WriteSPSS writes SPSS syntax that reads the export with GET DATA, labels
// every variable and the coded questions' values, and declares the
// missing-value codes user-missing (-9 THRU -5) for the numeric questions.
// SPSS reads one case per line: a text cell with a line break (a long
// answer, a further frame column) cannot be read, and the syntax says
// which columns of its file hold one.
func WriteSPSS(w io.Writer, b *Book) error {
	var s syntax
	names := statNames(b.Variables, 64, spssReserved.MatchString)
	s.printf("* SPSS: reads %s; run it with the folder that holds it as the working directory (CD 'folder'.).\n", File)
	s.printf("* %s, from Canvass.\n", oneLine(b.describe()))
	s.printf("* The missing-value codes -9 THRU -5 are user-missing in every numeric question; text answers keep them as text.\n")
	var broken []string
	for i, n := range b.breaks {
		if n > 0 {
			broken = append(broken, names[i])
		}
	}
	if len(broken) > 0 {
		s.printf("* WARNING: SPSS reads a case per line, and these columns have cells with line breaks: %s.\n", strings.Join(broken, ", "))
		s.printf("* Read the de-identified export instead, or remove the line breaks first.\n")
	}
	s.printf("GET DATA\n  /TYPE=TXT\n  /FILE='%s'\n  /ENCODING='UTF8'\n  /ARRANGEMENT=DELIMITED\n  /DELCASE=LINE\n  /FIRSTCASE=2\n  /DELIMITERS=\",\"\n  /QUALIFIER='\"'\n  /VARIABLES=\n", File)
	var formats []string
	for i := range b.Variables {
		v := &b.Variables[i]
		// Numbers are read with no implied decimals (a cell's own point
		// counts), then shown with the most decimals the column has.
		format := fmt.Sprintf("A%d", min(max(b.widths[i], 1), 32767))
		if v.numeric() {
			format = fmt.Sprintf("F%d.0", min(max(b.widths[i], 8), 40))
			if b.decimals[i] > 0 {
				formats = append(formats, fmt.Sprintf("%s (F%d.%d)", names[i], min(max(b.widths[i], 8), 40), min(b.decimals[i], 16)))
			}
		}
		s.printf("    %s %s\n", names[i], format)
	}
	s.printf(".\n")
	if len(formats) > 0 {
		s.printf("FORMATS\n")
		s.list(formats, 1, "  ", "", " /", ".")
	}
	s.printf("VARIABLE LABELS\n")
	var labels []string
	for i := range b.Variables {
		labels = append(labels, names[i]+" "+spssString(b.Variables[i].Label, 255))
	}
	s.list(labels, 1, "  ", "", "\n  /", ".")
	var valueLabels, missing []string
	for i := range b.Variables {
		v := &b.Variables[i]
		if !v.numeric() || len(v.Values)+len(v.Missing) == 0 {
			continue
		}
		codes, labels := v.labels()
		var pairs []string
		for k, code := range codes {
			pairs = append(pairs, "    "+code+" "+spssString(labels[k], 120))
		}
		valueLabels = append(valueLabels, names[i]+"\n"+strings.Join(pairs, "\n"))
		if len(v.Missing) > 0 {
			missing = append(missing, names[i])
		}
	}
	if len(valueLabels) > 0 {
		s.printf("VALUE LABELS\n")
		s.list(valueLabels, 1, "  ", "", "\n  /", ".")
	}
	if len(missing) > 0 {
		s.printf("MISSING VALUES\n")
		s.list(missing, 8, "  ", " ", "", fmt.Sprintf(" (%d THRU %d).", instrument.PreferNotToSayCode, instrument.NotAnsweredCode))
	}
	s.printf("EXECUTE.\n")
	_, err := io.WriteString(w, s.String())
	return err
}

// spssString is s, cut to max bytes, as SPSS string literals of at most 60
// bytes each joined by +, since SPSS limits the length of a syntax line.
func spssString(s string, max int) string {
	s = oneLine(cut(s, max, true))
	var parts []string
	for {
		part := cut(s, 60, true)
		parts = append(parts, `"`+strings.ReplaceAll(part, `"`, `""`)+`"`)
		if s = s[len(part):]; s == "" {
			break
		}
	}
	return strings.Join(parts, " +\n      ")
}
