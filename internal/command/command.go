// Package command holds the subcommands of the production binary, tuntas:
// api, worker, token, reconcile, import and codec-server, each parsing its own flags
// with environment fallbacks. A Set names a binary's commands; the dev
// binary, tuntas-dev, runs a larger Set of its own on the same commands.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Func runs one subcommand: it parses args (without the command's name),
// writes to stdout and stderr, and returns when its work is done or ctx
// ends. A bad flag returns an error after printing the flags to stderr;
// -h returns flag.ErrHelp.
type Func func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Command is a subcommand and the line the usage gives it.
type Command struct {
	Name    string
	Summary string
	Run     Func
}

// Set is a binary's commands, in the order its usage lists them.
type Set struct {
	// Binary is the name the usage gives the program.
	Binary   string
	Commands []Command
	// Note, when set, ends the usage.
	Note string
}

// Production is the set of the tuntas binary: what production runs.
func Production() Set {
	return Set{Binary: "tuntas", Note: "dev, bench, chaos and backup are tuntas-dev's: go run ./cmd/tuntas-dev <command>", Commands: []Command{
		{"api", "run the HTTP API against Temporal and MongoDB", API},
		{"worker", "run the case workflow worker against Temporal and MongoDB", Worker},
		{"token", "print a signed bearer token", Token},
		{"reconcile", "compare every running case workflow with its read-model snapshot and repair", Reconcile(nil)},
		{"import", "upload a household list (CSV) to the API and follow its progress", Import},
		{"codec-server", "serve Temporal's remote codec to the Web UI and CLI: administrators read case histories, every read recorded", CodecServer},
	}}
}

// With returns a copy of s under the name binary, without s's note, in
// which each of cmds replaces the command of its name or, when s has none,
// is added at the end.
func (s Set) With(binary string, cmds ...Command) Set {
	out := Set{Binary: binary, Commands: slices.Clone(s.Commands)}
	for _, c := range cmds {
		if i := slices.IndexFunc(out.Commands, func(have Command) bool { return have.Name == c.Name }); i >= 0 {
			out.Commands[i] = c
			continue
		}
		out.Commands = append(out.Commands, c)
	}
	return out
}

// Lookup returns the command named name.
func (s Set) Lookup(name string) (Command, bool) {
	i := slices.IndexFunc(s.Commands, func(c Command) bool { return c.Name == name })
	if i < 0 {
		return Command{}, false
	}
	return s.Commands[i], true
}

// Usage is the text printed when no command or an unknown one is named.
func (s Set) Usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <command> [flags]\n\ncommands:\n", s.Binary)
	width := 0
	for _, c := range s.Commands {
		width = max(width, len(c.Name))
	}
	for _, c := range s.Commands {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintf(&b, "\nrun '%s <command> -h' for a command's flags\n", s.Binary)
	if s.Note != "" {
		fmt.Fprintln(&b, s.Note)
	}
	return b.String()
}

// Run executes the command args[0] names with the rest of args. With no
// command it prints the usage and returns flag.ErrHelp; with an unknown
// one it prints the usage and says so.
func (s Set) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, s.Usage())
		return flag.ErrHelp
	}
	c, ok := s.Lookup(args[0])
	if !ok {
		fmt.Fprint(stderr, s.Usage())
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.Run(ctx, args[1:], stdout, stderr)
}

// Main runs the command args names until it ends or the process receives
// SIGINT or SIGTERM, reports a failure on stderr, and returns the exit
// status for main to exit with: 0, or 2 on any error.
func (s Set) Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.Run(ctx, args, stdout, stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "%s: %v\n", s.Binary, err)
		}
		return 2
	}
	return 0
}

// envOr returns the environment variable's value, or def when it is unset
// or empty.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// envInt is envOr for a whole number.
func envInt(name string, def int) (int, error) {
	v := envOr(name, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s must be a whole number: %q", name, v)
	}
	return n, nil
}
