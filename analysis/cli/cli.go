// Package cli is the `canvass analyze` command: it reads a CSV, runs one of
// the analysis engine's procedures and prints one JSON document (--json) or
// readable tables. Errors go back to main, which prints them on stderr and
// exits non-zero.
//
// Adding a subcommand: write it in its own file as
//
//	func runOLS(args []string, stdout io.Writer) error {
//		fs := newFlagSet("ols", "--csv FILE --y Y --x a,b,... [--na LIST] [--json]", stdout)
//		csvPath := fs.String("csv", "", "CSV file with a header row")
//		na := naFlag(fs) // every subcommand that reads a CSV takes --na
//		asJSON := fs.Bool("json", false, "print one JSON document")
//		if done, err := parseFlags(fs, args); done || err != nil {
//			return err // done: --help was printed
//		}
//		table, err := readTable(*csvPath, na.option())
//		...
//		if *asJSON {
//			return writeJSON(stdout, result)
//		}
//		...print tables...
//	}
//
// and add one line for it to the commands table below. json.go has the
// helpers every subcommand shares: Number (a float64 that encodes NaN and
// ±Inf as null), numbers and matrix for slices and gonum matrices, and
// writeJSON; flags.go has newFlagSet, parseFlags, splitList, naFlag and
// missingNote, the synopsis's last words on missing cells.
package cli

import (
	"fmt"
	"io"
	"sort"
)

// command is one `canvass analyze` subcommand.
type command struct {
	summary string
	run     func(args []string, stdout io.Writer) error
}

// commands lists every subcommand; add a line here for a new one.
var commands = map[string]command{
	"efa":    {"exploratory factor analysis, as psych::fa", runEFA},
	"alpha":  {"scale reliability: Cronbach's alpha, lambda 6, omega total, as psych::alpha", runAlpha},
	"ologit": {"ordered logit, as MASS::polr, with cluster-robust SEs", runOrderedLogit},
	"ols":    {"linear regression with classical and cluster-robust (CR1) SEs", runOLS},
}

// Run executes `canvass analyze` with args (the words after "analyze").
func Run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("analyze: no subcommand given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("analyze: unknown subcommand %q", args[0])
	}
	if err := cmd.run(args[1:], stdout); err != nil {
		return fmt.Errorf("analyze %s: %w", args[0], err)
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: canvass analyze <subcommand> [flags]   (canvass analyze <subcommand> --help for its flags)")
	fmt.Fprintln(w, "\nsubcommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
}
