package evidence

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/sagefence/sagefence/finding"
)

// Store is an evidence history. Both backends implement it over one schema.
type Store interface {
	// Record appends a run for the result and returns it (without findings).
	Record(ctx context.Context, res *finding.Result) (RunInfo, error)
	// Runs lists runs in sequence order (newest first with Desc).
	Runs(ctx context.Context, q RunQuery) ([]RunInfo, error)
	// Run loads one run with its findings and errors; ErrNoRun if absent.
	Run(ctx context.Context, seq int64) (*Run, error)
	// Each calls fn for every run matching q, with findings, in sequence order.
	Each(ctx context.Context, q RunQuery, fn func(*Run) error) error
	// Checkpoint returns the prune checkpoint, nil when the store was never pruned.
	Checkpoint(ctx context.Context) (*Checkpoint, error)
	// Verify recomputes the chain (see Verify).
	Verify(ctx context.Context) (*VerifyReport, error)
	// Prune deletes the runs recorded before the time (see Prune).
	Prune(ctx context.Context, before time.Time) (PruneResult, error)
	// SignCheckpoint stores the signature of the current checkpoint (which
	// must still be cp.Seq/cp.Hash), replacing any earlier one.
	SignCheckpoint(ctx context.Context, cp *Checkpoint) error
	// AddSignature stores a signature over a chain head.
	AddSignature(ctx context.Context, s Signature) error
	// Signatures lists the stored signatures, newest head first.
	Signatures(ctx context.Context) ([]Signature, error)
	// Location names the store for messages (passwords redacted).
	Location() string
	Close() error
}

// RunQuery selects runs. Zero times are unbounded; From is inclusive, To exclusive.
type RunQuery struct {
	From, To time.Time
	// MinSeq/MaxSeq bound the sequence numbers when non-zero.
	MinSeq, MaxSeq int64
	Limit          int
	Desc           bool
}

// Checkpoint is the newest pruned run.
type Checkpoint struct {
	Seq        int64     `json:"seq"`
	Hash       string    `json:"hash"`
	PrunedAt   time.Time `json:"pruned_at"`
	PrunedRuns int64     `json:"pruned_runs"`
	// PublicKey and Signature (standard base64) sign CheckpointMessage; both
	// empty when the checkpoint was made without a key.
	PublicKey string `json:"public_key,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// PruneResult says what Prune removed.
type PruneResult struct {
	Removed    int64       `json:"removed"`
	Checkpoint *Checkpoint `json:"checkpoint"`
}

// ErrNoStore is returned by OpenExisting when there is no store to open.
var ErrNoStore = errors.New("no evidence store")

// OpenExisting is Open for commands that only read and must not create a
// store: a SQLite path that does not exist is ErrNoStore (nothing is
// created). A PostgreSQL URL is opened as by Open.
func OpenExisting(ctx context.Context, location string) (Store, error) {
	if !IsPostgres(location) {
		path := strings.TrimPrefix(location, "sqlite://")
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%w at %s", ErrNoStore, path)
		}
	}
	return Open(ctx, location)
}

// ErrNoRun is returned by Run for a sequence number that is not stored.
var ErrNoRun = errors.New("no such run")

// EnvStore is the environment variable naming the store when --store is not given.
const EnvStore = "SAGEFENCE_STORE"

// ResolveLocation picks the store: the flag, else $SAGEFENCE_STORE, else the
// default SQLite file (DefaultPath).
func ResolveLocation(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if v := getenv(EnvStore); v != "" {
		return v, nil
	}
	home, _ := os.UserHomeDir()
	return DefaultPath(runtime.GOOS, getenv, home)
}

// DefaultPath is the platform's per-user data location of the SQLite store:
//
//   - Linux and other Unix: $XDG_DATA_HOME/sagefence/evidence.db, else
//     ~/.local/share/sagefence/evidence.db (XDG Base Directory).
//   - macOS: ~/Library/Application Support/sagefence/evidence.db.
//   - Windows: %LocalAppData%\sagefence\evidence.db (else %AppData%).
func DefaultPath(goos string, getenv func(string) string, home string) (string, error) {
	const dir, file = "sagefence", "evidence.db"
	switch goos {
	case "windows":
		for _, v := range []string{"LocalAppData", "AppData"} {
			if d := getenv(v); d != "" {
				return filepath.Join(d, dir, file), nil
			}
		}
		return "", errors.New("neither %LocalAppData% nor %AppData% is set: pass --store")
	case "darwin", "ios":
		if home == "" {
			return "", errors.New("no home directory: pass --store")
		}
		return filepath.Join(home, "Library", "Application Support", dir, file), nil
	}
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, dir, file), nil
	}
	if home == "" {
		return "", errors.New("neither $XDG_DATA_HOME nor $HOME is set: pass --store")
	}
	return filepath.Join(home, ".local", "share", dir, file), nil
}

// IsPostgres reports whether a location is a PostgreSQL URL.
func IsPostgres(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// Open opens (creating and migrating as needed) the store at location: a
// postgres:// or postgresql:// URL, else a SQLite file path (its directory is
// created with mode 0700).
func Open(ctx context.Context, location string) (Store, error) {
	if IsPostgres(location) {
		return openSQL(ctx, postgresDialect, location, redactURL(location))
	}
	path := strings.TrimPrefix(location, "sqlite://")
	if path == "" {
		return nil, errors.New("empty store path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the store's directory: %w", err)
	}
	// busy_timeout first, so that switching to WAL also waits for other writers.
	dsn := "file:" + path + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
	return openSQL(ctx, sqliteDialect, dsn, path)
}

// redactURL is a PostgreSQL URL fit for messages and pages: the password
// in the userinfo and the value of every query parameter that carries a
// secret (password, sslpassword, ...) become "xxxxx"; a query that cannot
// be parsed is dropped whole.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if u.RawQuery != "" {
		if _, err := url.ParseQuery(u.RawQuery); err != nil {
			u.RawQuery = "(query not shown: it cannot be parsed)"
		} else {
			parts := strings.Split(u.RawQuery, "&")
			for i, part := range parts {
				key, _, _ := strings.Cut(part, "=")
				if k, err := url.QueryUnescape(key); err == nil && secretParam(k) {
					parts[i] = key + "=xxxxx"
				}
			}
			u.RawQuery = strings.Join(parts, "&")
		}
	}
	return u.String()
}

// secretParam reports whether a connection parameter carries a secret.
func secretParam(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "token")
}
