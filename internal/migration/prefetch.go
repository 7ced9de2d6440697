package migration

import (
	"context"
	"database/sql"
	"sync"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// Prefetch is the work of a migrate that needs no auth instance, started while the kernia
// command still loads the instance (its loader program runs in a process of its own, so this
// runs beside it): reading and verifying the migration directory, as Apply does before any
// connection, and then, on PostgreSQL, reading whether the database already holds every file
// (runner.upToDate, one connection and two reads, no lock), the connection and the reads
// beside the directory's read. Apply, given a context that
// carries it (WithPrefetch) and called with the same database URL, directory and options,
// uses what it found: the verified directory, a no-op's result, which Apply prints and
// returns as it would have, and otherwise the connected database, on which Apply's locked
// run goes on without asking again whether there is work to do. Anything else (a directory
// that failed its check, a connection that failed) Apply does itself, as without a
// prefetch, so its errors and what it changes are the same. It changes nothing: it only
// reads (a directory that fails its check leaves the connection and the read unused), and no
// lock, table or row is ever written.
type Prefetch struct {
	url, dir string
	opts     ApplyOptions
	cancel   context.CancelFunc
	done     chan struct{}
	// Set when done is closed.
	found prefetchResult
	mu    sync.Mutex // guards found.db, which Apply takes
	once  sync.Once
}

// prefetchResult is what a prefetch found that Apply can use.
type prefetchResult struct {
	dir      *loadedDir   // the directory, verified; nil when it failed its check
	upToDate *ApplyResult // a no-op's result, when the database holds every file
	// db is the database the prefetch connected to when it found work to do: Apply runs on it
	// (and closes it) rather than connecting and reading again; the prefetch's Close closes it
	// when Apply does not take it.
	db *sql.DB
}

// StartPrefetch starts the prefetch of Apply(ctx, rawURL, dirPath, opts), for a run that is
// not a dry run. Close it once Apply has returned, or when Apply will not run.
func StartPrefetch(ctx context.Context, rawURL, dirPath string, opts ApplyOptions) *Prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &Prefetch{url: rawURL, dir: dirPath, opts: opts, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.found = prefetch(ctx, rawURL, dirPath, opts)
	}()
	return p
}

// prefetch reads the directory and, on PostgreSQL, whether the run is a no-op. The
// connection and the read of the history, which need nothing of the directory, run beside
// the directory's read and check (a 1,000-file directory takes about as long to read as the
// connection and the history together); a directory that fails its check drops them, and
// Apply reports it as it would without a prefetch.
func prefetch(ctx context.Context, rawURL, dirPath string, opts ApplyOptions) prefetchResult {
	var hist *historyRead
	if u, err := database.Parse(rawURL); err == nil && !opts.DryRun && u.Dialect == kernia.Postgres {
		// A MySQL run may create its database as it connects, a SQLite one its file: only
		// Apply connects there.
		hist = startHistoryRead(ctx, u.WithConnectTimeout(opts.ConnectTimeout))
	}
	d, err := loadDir(dirPath)
	if err != nil {
		hist.close()
		return prefetchResult{}
	}
	found := prefetchResult{dir: d}
	r, err := newRunner(rawURL, dirPath, d, opts)
	if err != nil || hist == nil {
		hist.close()
		return found
	}
	<-hist.done
	defer hist.cancel()
	if hist.db == nil {
		return found // Apply connects, and says why that fails
	}
	res, ok := r.upToDateWith(hist.read)
	switch {
	case ctx.Err() != nil:
		hist.db.Close()
	case ok:
		hist.db.Close()
		found.upToDate = res
	default:
		// Work to do, or a read that failed: either way the locked run, which reads again
		// under the lock, goes on from this connected database (Apply would only have
		// connected and asked upToDate again).
		found.db = hist.db
	}
	return found
}

// historyRead is a connection to a PostgreSQL database and a read of its history, made in the
// background (startHistoryRead).
type historyRead struct {
	cancel context.CancelFunc
	done   chan struct{}
	// Set when done is closed: the database (nil when it could not be opened) and the read.
	db   *sql.DB
	read revisionsRead
}

// startHistoryRead opens the database of u and reads its history (readHistoryOn) in the
// background.
func startHistoryRead(ctx context.Context, u *database.URL) *historyRead {
	ctx, cancel := context.WithCancel(ctx)
	h := &historyRead{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		db, err := database.Open(ctx, u)
		if err != nil {
			return
		}
		h.db, h.read = db, readHistoryOn(ctx, db, u.Dialect)
	}()
	return h
}

// close stops the read (a server slow to answer, or not at all, does not hold up the
// directory's error), waits for it to end and closes its database: for a prefetch that will
// not use it.
func (h *historyRead) close() {
	if h == nil {
		return
	}
	h.cancel()
	<-h.done
	if h.db != nil {
		h.db.Close()
	}
}

// Close stops the prefetch if it is still running, waits for it to end, and closes the
// database it left open for an Apply that did not take it.
func (p *Prefetch) Close() {
	if p == nil {
		return
	}
	p.once.Do(p.cancel)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.found.db != nil {
		p.found.db.Close()
		p.found.db = nil
	}
}

// prefetchKey is the context key of a Prefetch.
type prefetchKey struct{}

// WithPrefetch returns ctx carrying p, for Apply.
func WithPrefetch(ctx context.Context, p *Prefetch) context.Context {
	return context.WithValue(ctx, prefetchKey{}, p)
}

// prefetched returns what the prefetch ctx carries found for Apply(ctx, rawURL, dirPath,
// opts), waiting for it to end: nothing when there is none, or it was started for another
// run.
func prefetched(ctx context.Context, rawURL, dirPath string, opts ApplyOptions) prefetchResult {
	p, _ := ctx.Value(prefetchKey{}).(*Prefetch)
	if p == nil || p.url != rawURL || p.dir != dirPath || p.opts.DryRun != opts.DryRun || p.opts.Baseline != opts.Baseline ||
		p.opts.AllowOutOfOrder != opts.AllowOutOfOrder || p.opts.ConnectTimeout != opts.ConnectTimeout {
		return prefetchResult{}
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return prefetchResult{}
	}
	if ctx.Err() != nil {
		return prefetchResult{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	found := p.found
	p.found.db = nil // Apply's now
	return found
}
