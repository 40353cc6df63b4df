package export

import (
	"bytes"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/expr-lang/expr/parser"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// syntaxCases are testCases with a long answer over two lines with quotes
// (R and Stata read it; SPSS cannot) and the FIPS column declared a code.
func syntaxCases() (*instrument.Instrument, []survey.Case) {
	in := *instrument.Default()
	in.Frame.Codes = []string{"FIPS"}
	cases := testCases()
	cases[0].Answers["comments"] = "=1+1\nand a \"second\" line, with a comma"
	return &in, cases
}

// syntaxOf is the export and the syntax write makes for it, and the
// export's codebook.
func syntaxOf(t *testing.T, in *instrument.Instrument, cases []survey.Case, o Options, write func(io.Writer, *Book) error) (csv, syntax []byte, book *Book) {
	t.Helper()
	var c, s bytes.Buffer
	book, err := WriteCSV(&c, in, cases, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(&s, book); err != nil {
		t.Fatal(err)
	}
	return c.Bytes(), s.Bytes(), book
}

// exportTo writes the export and the syntax file into dir, and returns the
// export's codebook.
func exportTo(t *testing.T, dir string, in *instrument.Instrument, cases []survey.Case, o Options, name string, write func(io.Writer, *Book) error) *Book {
	t.Helper()
	csv, syntax, book := syntaxOf(t, in, cases, o, write)
	if err := os.WriteFile(filepath.Join(dir, File), csv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), syntax, 0o600); err != nil {
		t.Fatal(err)
	}
	return book
}

// program finds a program the syntax tests run. make deps installs them;
// a missing one fails the test, since a skipped test would prove nothing.
func program(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("no %s: run `make deps` (Debian: apt-get install %s)", name, pkg)
	}
	return path
}

// The R script runs, in R, on the file it was written for: the data frame
// has a row per case, factors with the options' labels, NA with the reason
// kept, a FIPS code with its leading zero, and times as times.
func TestRSyntax(t *testing.T) {
	rscript := program(t, "Rscript", "r-base-core")
	in, cases := syntaxCases()
	for _, o := range []Options{full, {Thresholds: aapor.DefaultThresholds, Deidentified: true}} {
		dir := t.TempDir()
		book := exportTo(t, dir, in, cases, o, "responses.R", WriteR)
		check := `source("responses.R")
cat("objects", ls(), "\n")
row <- function(id) which(responses$case_id == id)
cat("nrow", nrow(responses), "\n")
cat("ncol", ncol(responses), ncol(responses_missing), "\n")
cat("fips", class(responses$frame_fips), responses$frame_fips[row("submitted")], "\n")
cat("levels", paste(levels(responses$provide_city_depts), collapse = "|"), "\n")
cat("multi", paste(levels(responses$social_media_use_1), collapse = "|"), as.character(responses$social_media_use_1[row("submitted")]), "\n")
cat("tech", as.character(responses$tech_adoption[row("submitted")]), as.character(responses_missing$tech_adoption[row("submitted")]), "\n")
cat("years", class(responses$years_in_position), responses$years_in_position[row("stopped")], "\n")
cat("why", as.character(responses_missing$tech_capacity_1[row("stopped")]), "|", as.character(responses_missing$social_media_frequency[row("none")]), "|",
  as.character(responses_missing$participation_1[row("new")]), "|", as.character(responses_missing$staff_supervised[row("submitted")]), "\n")
cat("time", class(responses$submitted_at)[1], format(responses$submitted_at[row("submitted")], "%H:%M:%S"), "\n")
cat("label", attr(responses$provide_city_depts, "label"), "\n")
if (!is.null(responses$comments)) cat("comments", nchar(responses$comments[row("submitted")]), "\n")
`
		cmd := exec.Command(rscript, "-e", check)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("Rscript: %v\n%s", err, out)
		}
		got := string(out)
		want := []string{
			"objects responses responses_missing ",
			"nrow 5 ",
			"ncol " + strconv.Itoa(len(book.Variables)) + " " + strconv.Itoa(len(book.questions())+1) + " ",
			"fips character 0644000 ",
			"levels Never|Less than monthly|Monthly|Weekly|Daily ",
			"multi not selected|selected selected ",
			"tech NA don't know ",
			"years numeric 7 ",
			"why not answered | not asked | not reached | prefer not to say ",
			"time POSIXct 15:04:05 ",
			"label How often does your department PROVIDE data to… — other departments in the city? ",
		}
		if !o.Deidentified {
			// The whole answer, line break and quotes, with the apostrophe.
			want = append(want, "comments "+strconv.Itoa(utf8.RuneCountInString(answerText(cases[0].Answers["comments"].(string))))+" ")
		}
		for _, line := range want {
			if !strings.Contains(got, line+"\n") {
				t.Errorf("deidentified=%v: R printed no line %q:\n%s", o.Deidentified, line, got)
			}
		}
		if strings.Contains(got, "Warning") {
			t.Errorf("R warned:\n%s", got)
		}
	}
}

// The do-file declares every column, destrings the numeric ones, turns
// the codes into extended missing values and labels every coded question.
// (Stata is not installed here: this checks the file's structure.)
func TestStataSyntax(t *testing.T) {
	in, cases := syntaxCases()
	csv, do, book := syntaxOf(t, in, cases, full, WriteStata)
	text := strings.ReplaceAll(string(do), " ///\n", " ")
	header := strings.SplitN(string(csv), "\n", 2)[0]
	if m := regexp.MustCompile(`(?m)^rename \(([^)]*)\)\s+\(([^)]*)\)$`).FindStringSubmatch(text); m == nil {
		t.Fatalf("no rename of every column:\n%s", text)
	} else if olds, news := strings.Fields(m[1]), strings.Fields(m[2]); len(olds) != len(book.Variables) || strings.Join(news, ",") != header {
		t.Errorf("rename %d columns to %v, the file's header is %s", len(olds), news, header)
	}
	if !strings.Contains(text, "if c(k) != "+strconv.Itoa(len(book.Variables))+" {") {
		t.Error("the do-file does not check the number of columns")
	}
	destrung := regexp.MustCompile(`(?m)^destring (.*), replace$`).FindStringSubmatch(text)
	decoded := regexp.MustCompile(`(?m)^mvdecode (.*), mv\(-7=\.a \\ -6=\.b \\ -5=\.c \\ -8=\.d \\ -9=\.e\)$`).FindStringSubmatch(text)
	if destrung == nil || decoded == nil {
		t.Fatalf("no destring or mvdecode:\n%s", text)
	}
	for _, v := range book.Variables {
		numeric := v.Type != "string" && v.Type != "datetime" && v.Type != instrument.Text && v.Type != instrument.Textarea
		if got := slices.Contains(strings.Fields(destrung[1]), v.Name); got != numeric {
			t.Errorf("%s (%s) destrung: %v", v.Name, v.Type, got)
		}
		if got := slices.Contains(strings.Fields(decoded[1]), v.Name); got != (numeric && v.Question != "") {
			t.Errorf("%s (%s) missing codes decoded: %v", v.Name, v.Type, got)
		}
		if !strings.Contains(text, "\nlabel variable "+v.Name+" `\"") {
			t.Errorf("%s has no variable label", v.Name)
		}
		if len(v.Values) > 0 && numeric {
			def := regexp.MustCompile(`\nlabel define ` + v.Name + ` ([^\n]*), replace\nlabel values ` + v.Name + ` ` + v.Name + `\n`).FindStringSubmatch(text)
			if def == nil {
				t.Errorf("%s has no value labels", v.Name)
				continue
			}
			for code, label := range v.Values {
				if !strings.Contains(def[1], code+" `\""+label+"\"'") {
					t.Errorf("%s: no label %s %q in %s", v.Name, code, label, def[1])
				}
			}
			if v.Missing["-5"] != "" && !strings.Contains(def[1], ".c `\"not answered\"'") {
				t.Errorf("%s: the extended missing value .c has no label", v.Name)
			}
		}
	}
}

// PSPP, the free SPSS, runs the syntax on the de-identified file, and on
// the full file when no cell holds a line break: every variable read, the
// coded questions labelled, the codes user-missing.
func TestSPSSSyntax(t *testing.T) {
	pspp := program(t, "pspp", "pspp")
	in, cases := syntaxCases()
	noBreak := slices.Clone(cases)
	noBreak[0].Answers = maps.Clone(cases[0].Answers)
	noBreak[0].Answers["comments"] = "=1+1, one line"
	for _, tc := range []struct {
		name  string
		cases []survey.Case
		o     Options
	}{
		{"deidentified", cases, Options{Thresholds: aapor.DefaultThresholds, Deidentified: true}},
		{"full", noBreak, full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			book := exportTo(t, dir, in, tc.cases, tc.o, "responses.sps", WriteSPSS)
			check := `INSERT FILE='responses.sps'.
SAVE TRANSLATE /OUTFILE='labelled.csv' /TYPE=CSV /FIELDNAMES /CELLS=LABELS /REPLACE.
DISPLAY DICTIONARY /VARIABLES=provide_city_depts.
`
			if err := os.WriteFile(filepath.Join(dir, "check.sps"), []byte(check), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(pspp, "-o", "out.txt", "check.sps")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Fatalf("pspp: %v\n%s", err, out)
			}
			out, err := os.ReadFile(filepath.Join(dir, "out.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), "error") || strings.Contains(string(out), "warning") {
				t.Fatalf("pspp complained:\n%s", out)
			}
			labelled, err := os.ReadFile(filepath.Join(dir, "labelled.csv"))
			if err != nil {
				t.Fatal(err)
			}
			header, rows := read(t, labelled)
			if len(header) != len(book.Variables) || len(rows) != 5 {
				t.Fatalf("pspp read %d columns and %d rows, want %d and 5", len(header), len(rows), len(book.Variables))
			}
			wantCells(t, rows, []cell{
				{"submitted", "frame_fips", "0644000"},
				{"submitted", "social_media_use_1", "selected"},
				{"submitted", "tech_adoption", "don't know"},
				{"stopped", "tech_capacity_1", "not answered"},
				{"api", "participation_1", "Neither agree nor disagree"},
				{"stopped", "years_in_position", "7"},
			})
			if !strings.Contains(string(out), "-9 THRU") || !strings.Contains(string(out), "-5[a]|not answered") {
				t.Errorf("the codes are not user-missing:\n%s", out)
			}
		})
	}
	if _, sps, _ := syntaxOf(t, in, cases, full, WriteSPSS); !strings.Contains(string(sps), "these columns have cells with line breaks: comments.") {
		t.Errorf("the syntax does not warn of the line break in comments:\n%.600s", sps)
	}
}

func TestStatNames(t *testing.T) {
	long := strings.Repeat("a", 40)
	vars := []Variable{{Name: long}, {Name: long + "b"}, {Name: "in"}, {Name: "in_2"}, {Name: "str12"}, {Name: "ok"}}
	got := statNames(vars, 32, stataReserved.MatchString)
	want := []string{strings.Repeat("a", 30) + "_2", strings.Repeat("a", 30) + "_3", "in_3", "in_2", "str12_2", "ok"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := statNames([]Variable{{Name: "to"}, {Name: "With"}}, 64, spssReserved.MatchString); !slices.Equal(got, []string{"to_2", "With_2"}) {
		t.Errorf("SPSS: got %q", got)
	}
}

// FuzzSyntaxStrings: whatever a label holds, each program reads it as one
// string literal on its line.
func FuzzSyntaxStrings(f *testing.F) {
	for _, s := range []string{"", `a "quoted" label`, "two\nlines", "$HOME and `x'", `\`, "é ü — …", "\x00", strings.Repeat("é", 100) + `"'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := rString(s)
		if !strings.HasPrefix(r, `"`) || !strings.HasSuffix(r, `"`) || len(r) < 2 {
			t.Fatalf("rString(%q) = %s", s, r)
		}
		body := r[1 : len(r)-1]
		for i := 0; i < len(body); i++ {
			switch c := body[i]; {
			case c == '\\':
				i++ // an escape takes the next byte
			case c == '"' || c < ' ' || c >= 0x7f:
				t.Fatalf("rString(%q) = %s: an unescaped %q", s, r, c)
			}
		}
		st := stataString(s, 80)
		inner := strings.TrimSuffix(strings.TrimPrefix(st, "`\""), "\"'")
		if strings.ContainsAny(st, "\n\r") || strings.Contains(inner, `"'`) || regexp.MustCompile("(^|[^\\\\])[$`]").MatchString(inner) ||
			utf8.RuneCountInString(inner) > 80*2 {
			t.Fatalf("stataString(%q) = %s", s, st)
		}
		for _, line := range strings.Split(spssString(s, 255), "\n") {
			line = strings.TrimSpace(strings.TrimSuffix(line, " +"))
			if len(line) > 130 || !strings.HasPrefix(line, `"`) || !strings.HasSuffix(line, `"`) ||
				strings.Count(line, `"`)%2 != 0 || strings.Contains(strings.ReplaceAll(line[1:len(line)-1], `""`, ""), `"`) {
				t.Fatalf("spssString(%q) has the line %s", s, line)
			}
		}
	})
}

// FuzzText: a cell gets the apostrophe exactly when a spreadsheet would
// evaluate it, and taking it off gives the text back.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "=1+1", "-3", "-3+1", "+1 480", "@x", "\tx", "plain", "'=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if formula(s) != (got != s) || (got != s && got != "'"+s) || formula(got) {
			t.Fatalf("Text(%q) = %q", s, got)
		}
	})
}

// FuzzColumnCondition: any condition, parsed or not, comes back without a
// panic, and one that parses still parses in the export's terms.
func FuzzColumnCondition(f *testing.F) {
	in := instrument.Default()
	for _, it := range in.Items() {
		f.Add(it.ShowIf)
	}
	for _, s := range []string{"not (0 in social_media_use)", `x == "dont_know"`, "nil == social_media_use", "-1 in social_media_use", "((", "1 in"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		got := columnCondition(in, src)
		if _, err := parser.Parse(src); err == nil {
			if _, err := parser.Parse(got); err != nil {
				t.Fatalf("columnCondition(%q) = %q, which does not parse: %v", src, got, err)
			}
		}
	})
}
