package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/canvass-survey/canvass/analysis/dataset"
)

// newFlagSet makes a subcommand's flag set. Its --help output (every flag
// with its default) goes to stdout, since asking for help is not an error.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "usage: canvass analyze %s %s\n\nflags (one or two dashes):\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; done is true when --help was printed and the
// subcommand should return nil. Parse errors are returned without the usage
// text, which the user can ask for with --help.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard) // the error is returned, not printed
	fs.Usage = func() {}     // Parse would print it on errors too; --help prints it below
	err = fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return true, nil
	}
	if err != nil {
		return true, err
	}
	if fs.NArg() > 0 {
		return true, fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	return false, nil
}

// splitList splits a comma-separated flag value, dropping spaces and empty
// entries; an empty value gives nil.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// missingNote ends the synopsis of every subcommand that reads a CSV.
const missingNote = `A cell that is empty, NA or . is missing, and so is a value given with --na:
--na=-9,-8,-7,-6,-5 reads the survey export's missing-value codes ("prefer not
to say", "don't know", not reached, not asked, not answered) as missing, as the
nightly analysis does.`

// naList is the --na flag: cell values that mean missing besides an empty
// cell, NA and ".", comma-separated; a repeated flag adds to the list.
type naList []string

func (l *naList) String() string { return strings.Join(*l, ",") }

func (l *naList) Set(s string) error {
	*l = append(*l, splitList(s)...)
	return nil
}

// option is how dataset reads the markers.
func (l *naList) option() dataset.Option { return dataset.NA(*l...) }

// naFlag adds --na to fs.
func naFlag(fs *flag.FlagSet) *naList {
	l := new(naList)
	fs.Var(l, "na", "a comma-separated `LIST` of cell values that also mean missing, as R's na.strings: -9,-8,-7,-6,-5 for the export's missing-value codes (default: only empty, NA and .)")
	return l
}
