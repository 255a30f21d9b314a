package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux this runs on).
const clockTicks = 100

// CPUSeconds is the CPU time, user and system, that each process (by
// name) and its descendants have used so far: its own, its live
// children's, and that of the children it has reaped (PostgreSQL's
// backends, reaped by the postmaster). A process that is not running
// counts 0. Linux only.
func CPUSeconds(ps []*Process) (map[string]float64, error) {
	type stat struct {
		ppid  int
		ticks int64
	}
	stats := map[int]stat{}
	children := map[int][]int{}
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	for _, path := range dirs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended meanwhile
		}
		pid, st, ok := parseStat(string(b))
		if !ok {
			continue
		}
		stats[pid] = stat{ppid: int(st[0]), ticks: st[1] + st[2] + st[3] + st[4]}
		children[int(st[0])] = append(children[int(st[0])], pid)
	}
	out := map[string]float64{}
	for _, p := range ps {
		pid := p.PID()
		if pid == 0 || !p.Running() {
			out[p.Name] += 0
			continue
		}
		if _, ok := stats[pid]; !ok {
			return nil, fmt.Errorf("cpu: %s (pid %d) is not in /proc", p.Name, pid)
		}
		var ticks int64
		for todo := []int{pid}; len(todo) > 0; {
			q := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			ticks += stats[q].ticks
			todo = append(todo, children[q]...)
		}
		out[p.Name] += float64(ticks) / clockTicks
	}
	return out, nil
}

// parseStat reads the pid, and the ppid, utime, stime, cutime and cstime
// fields of a /proc/<pid>/stat line (the command name, in parentheses, may
// hold spaces and parentheses: the fields after it follow its last ')').
func parseStat(line string) (int, [5]int64, bool) {
	var st [5]int64
	open, closing := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || closing < open {
		return 0, st, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return 0, st, false
	}
	// After the name: state ppid pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime …
	f := strings.Fields(line[closing+1:])
	if len(f) < 15 {
		return 0, st, false
	}
	for i, idx := range []int{1, 11, 12, 13, 14} {
		if st[i], err = strconv.ParseInt(f[idx], 10, 64); err != nil {
			return 0, st, false
		}
	}
	return pid, st, true
}

// LoadAverage is the machine's load average over 1, 5 and 15 minutes, as
// /proc/loadavg says it.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
