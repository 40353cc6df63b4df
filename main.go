// Command canvass is the survey service and its tools. main stays thin: it
// parses the subcommand and calls the packages that do the work.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/canvass-survey/canvass/analysis/cli"
	"github.com/canvass-survey/canvass/server"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: canvass <command> [flags]

commands:
  serve     run the web service (see README for configuration)
  analyze   run the analysis engine on a CSV file (canvass analyze --help)
  version   print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "canvass:", err)
		os.Exit(1)
	}
}

// run is main without the process: tests call it with their own arguments,
// environment and output streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "analyze":
		return cli.Run(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// serve is `canvass serve [--demo]`; the environment holds the configuration.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "create a handful of demo cases and print their personal links")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: canvass serve [--demo]\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nenvironment:")
		for _, s := range server.Settings {
			fmt.Fprintf(stderr, "  %-38s default %s: %s\n", s.Name, s.Default, s.Meaning)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, warning, err := server.LoadConfig(getenv)
	if err != nil {
		return err
	}
	return server.Run(ctx, cfg, warning, server.RunOptions{Demo: *demo, Stdout: stdout, Stderr: stderr})
}
