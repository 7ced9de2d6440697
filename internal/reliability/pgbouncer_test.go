package reliability_test

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/pgtest"
)

// pgbouncer is a PgBouncer process the test started on a loopback port.
type pgbouncer struct {
	port int
	dir  string
}

// startPgBouncer starts PgBouncer in front of the test server on a free loopback port, with
// trust authentication and the given default pool mode; settings are lines added to its
// [pgbouncer] section, extraDatabases lines added to its [databases] section. It stops when the test ends. Without a pgbouncer binary the test is
// skipped, except under CI=true, where it fails.
func startPgBouncer(t *testing.T, poolMode string, settings []string, extraDatabases ...string) *pgbouncer {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgbouncer is not installed under CI=true (scripts/ensure-test-tools.sh installs it): %v", err)
		}
		t.Skipf("pgbouncer is not installed (apt-get install pgbouncer): %v", err)
	}
	host, port := serverHostPort(t)
	// A free loopback port: taken, then handed to PgBouncer.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	b := &pgbouncer{port: l.Addr().(*net.TCPAddr).Port, dir: t.TempDir()}
	assert.NilError(t, l.Close())
	ini := strings.Join([]string{
		"[databases]",
		strings.Join(extraDatabases, "\n"),
		"* = host=" + host + " port=" + port,
		"[pgbouncer]",
		"listen_addr = 127.0.0.1",
		"listen_port = " + strconv.Itoa(b.port),
		"unix_socket_dir =",
		"auth_type = trust",
		"auth_file = " + filepath.Join(b.dir, "users.txt"),
		"pool_mode = " + poolMode,
		"default_pool_size = 4",
		"ignore_startup_parameters = extra_float_digits,search_path",
		"logfile = " + filepath.Join(b.dir, "pgbouncer.log"),
		strings.Join(settings, "\n"),
		"",
	}, "\n")
	writeFile(t, filepath.Join(b.dir, "pgbouncer.ini"), ini)
	writeFile(t, filepath.Join(b.dir, "users.txt"), `"postgres" ""`+"\n")
	writeFile(t, filepath.Join(b.dir, "pgbouncer.log"), "")
	args := []string{filepath.Join(b.dir, "pgbouncer.ini")}
	cmd := exec.Command(bin)
	if os.Geteuid() == 0 {
		// PgBouncer refuses to run as root: it runs as postgres, which must read its files.
		u, err := user.Lookup("postgres")
		assert.NilError(t, err, "PgBouncer refuses to run as root and there is no postgres user to run it as")
		uid, _ := strconv.Atoi(u.Uid)
		assert.NilError(t, os.Chmod(b.dir, 0o755))
		assert.NilError(t, os.Chmod(filepath.Dir(b.dir), 0o755)) // the test's temporary root
		assert.NilError(t, os.Chown(filepath.Join(b.dir, "pgbouncer.log"), uid, -1))
		args = append([]string{"-u", "postgres"}, args...)
	}
	cmd.Args = append([]string{bin}, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	assert.NilError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	eventually(t, 20*time.Second, "PgBouncer listens on 127.0.0.1:"+strconv.Itoa(b.port), func() bool {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(b.dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer exited:\n%s\n%s", out.String(), log)
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(b.port), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return b
}

// serverHostPort returns the host and port of the test server.
func serverHostPort(t *testing.T) (string, string) {
	t.Helper()
	server := mustURL(t, pgtest.ServerURL())
	port := server.Port()
	if port == "" {
		port = "5432"
	}
	return server.Hostname(), port
}

// url returns the URL of database name through PgBouncer.
func (b *pgbouncer) url(name string) string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(b.port) + "/" + name + "?sslmode=disable"
}

// Issue 9, case 5: through PgBouncer in transaction pooling mode, migrate refuses before
// applying anything, with a message that names transaction pooling and asks for a direct
// database URL; it leaves no lock held by a pooled server connection and no table; a later
// direct run applies every file once. Through a PgBouncer pool in session mode, migrate works.
func TestPoolers5_PgBouncerTransactionPooling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		settings []string
	}{
		{"server connections reused most recent first", nil},
		{"server connections reused round robin", []string{"server_round_robin = 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, "postgres")
			name := strings.TrimPrefix(mustURL(t, tg.url).Path, "/")
			host, port := serverHostPort(t)
			b := startPgBouncer(t, "transaction", tc.settings, "session_"+name+" = host="+host+" port="+port+" dbname="+name+" pool_mode=session")
			dir := migrations(t, map[string]string{
				"20260101000001_log.sql": logTable,
				"20260101000002_a.sql":   logged("a"),
				"20260101000003_notx.sql": "-- atlas:txmode none\n\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY a_note ON a (note);\n" +
					"INSERT INTO applied_log (file) VALUES ('notx');\n",
			})
			pooled := b.url(name)
			for i := range 3 {
				r := kernia(t, "migrate", "--url", pooled, "--dir", dir)
				expect(t, r, 1, "transaction pooling mode", "direct database URL", "nothing was applied")
				t.Logf("run %d through the transaction pooler: %s", i+1, r.stderr)
				assert.DeepEqual(t, tg.tables(t), []string(nil))
				assert.Check(t, !tg.advisoryLockHeld(t), "run %d through the pooler left the migration lock held", i+1)
			}

			direct := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "5s")
			expect(t, direct, 0, "3 files applied")
			assert.DeepEqual(t, tg.strings(t, "SELECT file FROM applied_log"), []string{"a", "notx"})
			assert.Check(t, !tg.advisoryLockHeld(t))

			// A session pool keeps each client on one server session: migrate works through it.
			writeFile(t, filepath.Join(dir, "20260101000004_b.sql"), logged("b"))
			rehash(t, dir)
			session := kernia(t, "migrate", "--url", b.url("session_"+name), "--dir", dir)
			expect(t, session, 0, "applied 20260101000004_b.sql")
			assert.DeepEqual(t, tg.strings(t, "SELECT file FROM applied_log"), []string{"a", "b", "notx"})
			assert.Check(t, !tg.advisoryLockHeld(t))
			again := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--lock-timeout", "5s")
			expect(t, again, 0, "nothing to apply")
		})
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	assert.NilError(t, err)
	return u
}
