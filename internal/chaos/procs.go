package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one child process of the run: the servers, a worker or an API.
// It can be killed and started again with the same arguments, each start
// logging to a file of its own.
type proc struct {
	name string
	exe  string
	args []string
	env  []string
	logs string
	// ready reports whether a start has come up, given its log so far.
	ready func(ctx context.Context, log string) bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	starts int
	log    string
	exited chan struct{}
}

// start runs the process and waits until it is ready.
func (p *proc) start(ctx context.Context, within time.Duration) error {
	p.mu.Lock()
	p.starts++
	logPath := filepath.Join(p.logs, fmt.Sprintf("%s-%d.log", p.name, p.starts))
	f, err := os.Create(logPath)
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("%s: %w", p.name, err)
	}
	cmd := exec.Command(p.exe, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	// A child must not outlive the run, whatever ends it. The kernel sends
	// Pdeathsig when the thread that forked the child ends, not the process,
	// and a thread ends whenever a goroutine locked to it returns, which code
	// anywhere in this process may do (golang/go#27505). One goroutine,
	// locked to its thread, starts the child and waits for it, so that
	// thread lives exactly as long as the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
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
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.log, p.exited = cmd, logPath, exited
	p.mu.Unlock()
	return p.awaitReady(ctx, within)
}

// awaitReady polls the process's readiness until it holds, the process
// ends or within passes.
func (p *proc) awaitReady(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	p.mu.Lock()
	logPath, exited := p.log, p.exited
	p.mu.Unlock()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		b, _ := os.ReadFile(logPath)
		if p.ready(ctx, string(b)) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s ended before it was ready; its log %s ends: %s", p.name, logPath, tail(string(b), 600))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %v; its log %s ends: %s", p.name, within, logPath, tail(string(b), 600))
		case <-tick.C:
		}
	}
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *proc) kill() {
	p.signal(syscall.SIGKILL, 0)
}

// stop asks the process to end (SIGTERM), killing it after grace.
func (p *proc) stop(grace time.Duration) {
	p.signal(syscall.SIGTERM, grace)
}

func (p *proc) signal(sig syscall.Signal, grace time.Duration) {
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

func tail(s string, n int) string {
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}

// logSays is a readiness test: the log holds line.
func logSays(line string) func(context.Context, string) bool {
	return func(_ context.Context, log string) bool { return strings.Contains(log, line) }
}

// readyz is a readiness test: the API at base answers /readyz with 200.
func readyz(base string) func(context.Context, string) bool {
	return func(ctx context.Context, _ string) bool {
		status, _, err := getReadyz(ctx, base)
		return err == nil && status == http.StatusOK
	}
}

// getReadyz asks an API whether it is ready and returns its answer.
func getReadyz(ctx context.Context, base string) (int, string, error) {
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
