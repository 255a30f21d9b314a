package devcommand

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// profileCPU writes a CPU profile of this process to path until the
// returned stop is called; with path empty it does nothing.
func profileCPU(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// embeddedGCPercent is the garbage collector's target in a process that
// runs the embedded stack (tuntas-dev dev, tuntas-dev bench): Temporal, FerretDB,
// the worker and the API allocate in one heap, and at Go's default of 100
// the collector took 12% of the CPU of a bench. At 200 it runs half as
// often for about 40% more resident memory (the peak RSS is in the
// bench's report); GOGC in the environment still decides.
const embeddedGCPercent = 200

// tuneGC sets embeddedGCPercent unless GOGC is set.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(embeddedGCPercent)
	}
}
