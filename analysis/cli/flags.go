package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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
