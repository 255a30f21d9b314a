package cluster

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one child process of the topology: a Temporal service,
// FerretDB, PostgreSQL's postmaster, a worker or an API. It can be killed
// and started again with the same arguments, each start logging to a file
// of its own, and it never outlives the process that started it.
type Process struct {
	Name string
	Exe  string
	Args []string
	// Env is added to this process's environment.
	Env []string
	// Logs is the directory of its log files, one per start.
	Logs string
	// Dir is its working directory; empty: this process's.
	Dir string
	// Ready reports whether a start has come up, given its log so far.
	Ready func(ctx context.Context, log string) bool
	// As, when set, runs it as another user (PostgreSQL refuses root).
	As *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd
	starts int
	log    string
	exited chan struct{}
}

// Start runs the process and waits until it is ready.
func (p *Process) Start(ctx context.Context, within time.Duration) error {
	p.mu.Lock()
	p.starts++
	logPath := filepath.Join(p.Logs, fmt.Sprintf("%s-%d.log", p.Name, p.starts))
	f, err := os.Create(logPath)
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	cmd := exec.Command(p.Exe, p.Args...)
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = f, f
	// A child must not outlive the run, whatever ends it. The kernel sends
	// Pdeathsig when the thread that forked the child ends, not the process,
	// and a thread ends whenever a goroutine locked to it returns, which code
	// anywhere in this process may do (golang/go#27505). One goroutine,
	// locked to its thread, starts the child and waits for it, so that
	// thread lives exactly as long as the child. (Go sets the signal after
	// the child's credentials, so it holds for a child run as another user.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: p.As}
	exited := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer f.Close()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.cmd, p.log, p.exited = cmd, logPath, exited
	p.mu.Unlock()
	return p.AwaitReady(ctx, within)
}

// AwaitReady polls the process's readiness until it holds, the process
// ends or within passes.
func (p *Process) AwaitReady(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	p.mu.Lock()
	logPath, exited := p.log, p.exited
	p.mu.Unlock()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		b, _ := os.ReadFile(logPath)
		if p.Ready == nil || p.Ready(ctx, string(b)) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s ended before it was ready; its log %s ends: %s", p.Name, logPath, Tail(string(b), 600))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %v; its log %s ends: %s", p.Name, within, logPath, Tail(string(b), 600))
		case <-tick.C:
		}
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() {
	p.signal(syscall.SIGKILL, 0)
}

// Stop asks the process to end (SIGTERM), killing it after grace.
func (p *Process) Stop(grace time.Duration) {
	p.signal(syscall.SIGTERM, grace)
}

// Signal sends sig and waits up to grace for the process to end, then
// kills it; with grace 0 it waits for the end however long it takes.
func (p *Process) Signal(sig syscall.Signal, grace time.Duration) {
	p.signal(sig, grace)
}

func (p *Process) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-exited:
			return
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-exited
}

// Wait waits for the last start to end.
func (p *Process) Wait() {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited != nil {
		<-exited
	}
}

// Running reports whether the last start is still running.
func (p *Process) Running() bool {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// PID is the process ID of the last start; 0 before any.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// LogPath is the log file of the last start.
func (p *Process) LogPath() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log
}

// Tail is the last n bytes of s, trimmed.
func Tail(s string, n int) string {
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}

// LogSays is a readiness test: the log holds line.
func LogSays(line string) func(context.Context, string) bool {
	return func(_ context.Context, log string) bool { return strings.Contains(log, line) }
}

// Listening is a readiness test: addr accepts TCP connections.
func Listening(addr string) func(context.Context, string) bool {
	return func(ctx context.Context, _ string) bool {
		var d net.Dialer
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}
}

// Readyz is a readiness test: the API at base answers /readyz with 200.
func Readyz(base string) func(context.Context, string) bool {
	return func(ctx context.Context, _ string) bool {
		status, _, err := GetReadyz(ctx, base)
		return err == nil && status == http.StatusOK
	}
}

// GetReadyz asks an API whether it is ready and returns its answer.
func GetReadyz(ctx context.Context, base string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := readyzClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, strings.TrimSpace(string(b)), nil
}

// readyzClient keeps no connections: a probe must see the API as a new
// client would.
var readyzClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// lowPorts are where freeLowPorts looks: Temporal keeps each host's
// membership port in a SMALLINT column (cluster_membership.rpc_port), so
// it must be below 32768, where the kernel's ephemeral ports (32768 and
// up) do not reach.
const lowPortFrom, lowPortTo = 20000, 32767

// freeLowPorts reserves n free loopback ports below 32768 (closed again
// on return), tried in a random order.
func freeLowPorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for _, p := range rand.Perm(lowPortTo - lowPortFrom + 1) {
		if len(ports) == n {
			return ports, nil
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(lowPortFrom+p))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, lowPortFrom+p)
	}
	return nil, fmt.Errorf("free port: fewer than %d free between %d and %d", n, lowPortFrom, lowPortTo)
}

// FreePorts reserves n free loopback ports (closed again on return).
func FreePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
