package cluster

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestParseStatReadsTheFieldsAfterTheLastParenthesis(t *testing.T) {
	line := "4242 (postgres: a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 7 3 20 0 1 0 5 0\n"
	pid, st, ok := parseStat(line)
	if !ok || pid != 4242 || st != [5]int64{17, 250, 30, 7, 3} {
		t.Fatalf("parseStat = %d %v %v, want 4242 [17 250 30 7 3] true", pid, st, ok)
	}
	if _, _, ok := parseStat("garbage"); ok {
		t.Fatal("parseStat took a line without a command name")
	}
}

// A child that burns CPU is counted; one not started counts 0.
func TestCPUSecondsCountsAChildsTime(t *testing.T) {
	sh := &Process{Name: "spin", Exe: "/bin/sh", Logs: t.TempDir(),
		Args: []string{"-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done; sleep 30"}, Ready: LogSays("done")}
	if err := sh.Start(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	defer sh.Kill()
	idle := &Process{Name: "idle"}
	got, err := CPUSeconds([]*Process{sh, idle})
	if err != nil {
		t.Fatal(err)
	}
	if got["spin"] <= 0 || got["idle"] != 0 {
		t.Fatalf("CPUSeconds = %v, want spin > 0 and idle 0", got)
	}
	if _, err := os.Stat("/proc/loadavg"); err == nil && LoadAverage() == "unknown" {
		t.Fatal("LoadAverage did not read /proc/loadavg")
	}
}
