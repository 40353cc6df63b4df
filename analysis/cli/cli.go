// Package cli is the `canvass analyze` command: it reads a CSV, runs one of
// the analysis engine's procedures and prints JSON or readable tables.
package cli

import (
	"errors"
	"io"
)

// Run executes `canvass analyze` with args (the words after "analyze").
func Run(args []string, stdout, stderr io.Writer) error {
	return errors.New("analyze: no subcommands yet")
}
