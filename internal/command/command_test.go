package command

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestProductionNamesWhatProductionRuns(t *testing.T) {
	var names []string
	for _, c := range Production().Commands {
		names = append(names, c.Name)
	}
	if got, want := strings.Join(names, " "), "api worker token reconcile import codec-server"; got != want {
		t.Fatalf("production commands: %s, want %s", got, want)
	}
}

func TestRunWithoutACommandPrintsTheUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no command", nil, flag.ErrHelp.Error()},
		{"an unknown command", []string{"dev"}, `unknown command "dev"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := Production().Run(context.Background(), tt.args, io.Discard, &stderr)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error %v, want %s", err, tt.wantErr)
			}
			for _, want := range []string{"usage: tuntas <command>", "  api           run the HTTP API", "  import        upload", "  codec-server  serve Temporal's remote codec", "run 'tuntas <command> -h'", "are tuntas-dev's"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("usage lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}

func TestACommandsHelpIsNotAFailure(t *testing.T) {
	var stderr bytes.Buffer
	err := Production().Run(context.Background(), []string{"token", "-h"}, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "-sub") {
		t.Fatalf("token -h: %v\n%s", err, stderr.String())
	}
	if status := Production().Main([]string{"token", "-h"}, io.Discard, io.Discard); status != 2 {
		t.Fatalf("token -h exits %d, want 2 as before", status)
	}
}

func TestWithReplacesByNameAndAddsTheRest(t *testing.T) {
	called := ""
	stub := func(name string) Func {
		return func(context.Context, []string, io.Writer, io.Writer) error { called = name; return nil }
	}
	s := Production().With("tuntas-dev", Command{Name: "reconcile", Summary: "replaced", Run: stub("reconcile")},
		Command{Name: "bench", Summary: "added", Run: stub("bench")})
	var names []string
	for _, c := range s.Commands {
		names = append(names, c.Name)
	}
	if got, want := strings.Join(names, " "), "api worker token reconcile import codec-server bench"; got != want {
		t.Fatalf("commands: %s, want %s", got, want)
	}
	for _, name := range []string{"reconcile", "bench"} {
		if err := s.Run(context.Background(), []string{name}, io.Discard, io.Discard); err != nil || called != name {
			t.Errorf("%s ran %q: %v", name, called, err)
		}
	}
	if u := s.Usage(); !strings.HasPrefix(u, "usage: tuntas-dev <command>") || strings.Contains(u, "are tuntas-dev's") {
		t.Errorf("usage %q", u)
	}
	if c, _ := Production().Lookup("reconcile"); c.Summary == "replaced" {
		t.Error("With changed the set it was called on")
	}
}
