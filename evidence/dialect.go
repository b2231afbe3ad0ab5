package evidence

import (
	"database/sql"
	"strconv"
	"strings"
)

// dialect is everything that differs between the two backends; the schema,
// the queries and the chain logic are shared.
type dialect struct {
	name string
	// driver is the database/sql driver name.
	driver string
	// lockStmt runs first in every write transaction to serialize writers on
	// the chain head. SQLite needs none: its transactions begin IMMEDIATE
	// (the _txlock DSN option), which takes the database write lock.
	lockStmt string
	// numbered placeholders ($1, $2, ...) instead of ?.
	numbered bool
	// snapshot begins a read-only transaction that sees one consistent state
	// of the store while others write: SQLite's deferred BEGIN under WAL,
	// PostgreSQL's REPEATABLE READ.
	snapshot sql.TxOptions
}

// chainLockKey is the PostgreSQL advisory lock that serializes writers
// ("sagefenc" in ASCII).
const chainLockKey = 0x73616765666e6563

var (
	sqliteDialect   = dialect{name: "sqlite", driver: "sqlite", snapshot: sql.TxOptions{ReadOnly: true}}
	postgresDialect = dialect{name: "postgres", driver: "pgx", numbered: true,
		lockStmt: "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(chainLockKey, 10) + ")",
		snapshot: sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}}
)

// rebind rewrites ? placeholders for the dialect. The queries in this
// package never contain ? inside string literals.
func (d dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
