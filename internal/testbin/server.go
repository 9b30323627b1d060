package testbin

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running `bulwark serve`, started by Start: its address, what
// it wrote to stderr, and the admin password it printed on first start.
type Server struct {
	Cmd    *exec.Cmd
	Base   string // http(s)://127.0.0.1:port
	mu     sync.Mutex
	log    bytes.Buffer
	pass   string
	exited chan struct{}
}

var (
	listeningRe = regexp.MustCompile(`listening on (https?://\S+) `)
	passwordRe  = regexp.MustCompile(`^    (\S{20,})$`)
)

// Start starts cmd, a `bulwark serve` set up by the caller (arguments,
// environment, process attributes), reads its stderr and waits until it
// listens. The test fails if the process exits first or does not listen
// within a minute. The caller stops it (Stop, Kill), usually in a Cleanup.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Server {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Cmd: cmd, exited: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			if m := passwordRe.FindStringSubmatch(line); m != nil {
				s.pass = m[1]
			}
			s.mu.Unlock()
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		// Wait only after reading to the end: it closes the pipe.
		_ = cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.Base = <-ready:
	case <-s.exited:
		t.Fatalf("%s exited before listening:\n%s", name, s.Log())
	case <-time.After(time.Minute):
		s.Kill()
		t.Fatalf("%s did not listen within a minute:\n%s", name, s.Log())
	}
	return s
}

// Log returns what the process has written to stderr.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Password returns the admin password printed on first start, or "".
func (s *Server) Password() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pass
}

// Exited is closed when the process has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Stop asks the process to shut down (SIGINT) and waits, killing it after a
// minute. A process started in a group of its own (Setpgid) is signalled
// as a group, so the signal reaches it through a wrapper such as
// /usr/bin/time, which ignores SIGINT so as to report after it.
func (s *Server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.signal(os.Interrupt.(syscall.Signal))
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		s.Kill()
	}
}

// Kill ends the process with SIGKILL, as a crash or the OOM killer would:
// no shutdown, no acknowledgement.
func (s *Server) Kill() {
	s.signal(syscall.SIGKILL)
	<-s.exited
}

func (s *Server) signal(sig syscall.Signal) {
	if a := s.Cmd.SysProcAttr; a != nil && a.Setpgid {
		_ = syscall.Kill(-s.Cmd.Process.Pid, sig)
		return
	}
	_ = s.Cmd.Process.Signal(sig)
}
