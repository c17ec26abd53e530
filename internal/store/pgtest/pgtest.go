// Package pgtest runs a throwaway PostgreSQL server for tests: one server per
// test binary, started on first use, and a fresh database per test.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.Start(t) // postgres://postgres@127.0.0.1:PORT/t_N?sslmode=disable
//		…
//	}
//
// The server runs initdb and postgres from /usr/lib/postgresql/15/bin (or
// $KILN_PG_BIN), with fsync off, listening on 127.0.0.1 on a free port and on a
// unix socket in its temporary directory. Both refuse to run as root, so as
// root they run as the system user kiln-pgtest, created when missing. When the
// binaries are absent, tests skip, unless $CI is set: then they fail, because
// CI must never silently skip the PostgreSQL half of the suite.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kilnhq/kiln/internal/run"
)

// DefaultBin is where Debian's postgresql-15 package puts the server binaries.
const DefaultBin = "/usr/lib/postgresql/15/bin"

// User is the unprivileged account the server runs as when tests run as root.
const User = "kiln-pgtest"

// The server is per test binary, so its handle is package state: tests of one
// binary share it, and Stop (from TestMain) ends it.
var (
	once    sync.Once
	current *Server
	errOnce error
	dbSeq   atomic.Int64
)

// Server is a running PostgreSQL cluster.
type Server struct {
	dir  string // temporary directory: data/, socket, log
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the postmaster has exited
	werr error         // its exit status, once done is closed
}

// Start returns the DSN of a new, empty database on the shared server,
// starting the server on first use. The database is dropped when t ends.
func Start(t testing.TB) string {
	t.Helper()
	once.Do(func() { current, errOnce = startServer() })
	if errors.Is(errOnce, errNoBinaries) {
		if os.Getenv("CI") != "" {
			t.Fatalf("pgtest: %v (CI is set: PostgreSQL tests must not be skipped)", errOnce)
		}
		t.Skipf("pgtest: %v", errOnce)
	}
	if errOnce != nil {
		t.Fatalf("pgtest: %v", errOnce)
	}
	name := fmt.Sprintf("t_%d_%s", dbSeq.Add(1), sanitize(t.Name()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := current.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open; a failed drop only leaves
		// garbage in a cluster that is about to be deleted.
		if err := current.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return current.DSN(name)
}

// Main runs the tests and then stops the server; use it as the body of TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if err := Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Stop stops the shared server, if one was started, and removes its files.
func Stop() error {
	if current == nil {
		return nil
	}
	err := current.stop()
	current = nil
	return err
}

// DSN is the URL of database name on s.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

var errNoBinaries = errors.New("PostgreSQL server binaries not found")

func binDir() string {
	if d := os.Getenv("KILN_PG_BIN"); d != "" {
		return d
	}
	return DefaultBin
}

func startServer() (*Server, error) {
	bin := binDir()
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return nil, fmt.Errorf("%w in %s (set KILN_PG_BIN or install postgresql-15)", errNoBinaries, bin)
		}
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kiln-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	s := &Server{dir: dir, done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			_ = s.stop()
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("hand %s to %s: %w", dir, User, err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	initdb := run.Cmd{Name: filepath.Join(bin, "initdb"), Args: []string{
		"--pgdata", filepath.Join(dir, "data"), "--username", "postgres", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync", "--no-instructions",
	}}
	if err := runAs(ctx, initdb, cred); err != nil {
		return nil, fmt.Errorf("initdb: %w", err)
	}

	// A port found free may be taken before postgres binds it: retry a few times.
	for attempt := 0; ; attempt++ {
		s.port, err = freePort()
		if err != nil {
			return nil, err
		}
		err = s.launch(ctx, bin, cred)
		if err == nil {
			ok = true
			return s, nil
		}
		if attempt == 3 {
			return nil, err
		}
	}
}

// launch starts the postmaster on s.port and waits until it accepts connections.
func (s *Server) launch(ctx context.Context, bin string, cred *syscall.Credential) error {
	logf, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return fmt.Errorf("create server log: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=64MB",
		"-c", "logging_collector=off",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = s.dir // the test's working directory may be closed to the server's user
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Credential: cred,
		// If the test binary dies without Stop (a panic, a timeout), SIGQUIT
		// makes the postmaster shut down at once, taking its children along.
		Pdeathsig: syscall.SIGQUIT,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { s.werr = cmd.Wait(); close(s.done) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := s.exec(pctx, "SELECT 1")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			s.cmd = nil
			return fmt.Errorf("postgres exited (%v): %s", s.werr, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 60s: %v: %s", err, s.logTail())
		}
	}
}

// exec runs one statement as the superuser in the maintenance database.
func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func (s *Server) stop() error {
	var err error
	if s.cmd != nil {
		// SIGINT is PostgreSQL's fast shutdown: disconnect clients, exit cleanly.
		_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL) // the whole process group
			<-s.done
			err = fmt.Errorf("postgres ignored SIGINT for 15s and was killed")
		}
		s.cmd = nil
	}
	if rerr := os.RemoveAll(s.dir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("remove %s: %w", s.dir, rerr))
	}
	return err
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// credential returns whom the server must run as: nil for the current user,
// or the unprivileged User when running as root (created if missing).
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(User)
	if err != nil {
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return nil, fmt.Errorf("look up user %s: %w", User, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		add := run.Cmd{Name: "useradd", Args: []string{"--system", "--no-create-home", "--home-dir", "/nonexistent",
			"--shell", "/usr/sbin/nologin", User}}
		// Another test binary may create it at the same moment: look again before failing.
		if err := run.Run(ctx, add); err != nil {
			if u, err = user.Lookup(User); err != nil {
				return nil, fmt.Errorf("create user %s: %w", User, err)
			}
		} else if u, err = user.Lookup(User); err != nil {
			return nil, fmt.Errorf("look up user %s after creating it: %w", User, err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of %s: %w", User, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of %s: %w", User, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// runAs runs c as cred (nil: as ourselves), in its own process group.
func runAs(ctx context.Context, c run.Cmd, cred *syscall.Credential) error {
	if cred == nil {
		return run.Run(ctx, c)
	}
	// run.Cmd has no credential field; setpriv switches user with explicit arguments.
	args := append([]string{"--reuid", strconv.Itoa(int(cred.Uid)), "--regid", strconv.Itoa(int(cred.Gid)),
		"--clear-groups", "--", c.Name}, c.Args...)
	return run.Run(ctx, run.Cmd{Name: "setpriv", Args: args, Dir: "/"})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// sanitize makes a test name usable in a database name (63 bytes at most).
func sanitize(name string) string {
	s := unsafeChars.ReplaceAllString(strings.ToLower(name), "_")
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return s
}
