// Package evidence keeps a tamper-evident history of scan and audit results
// (finding.Result) in SQLite or PostgreSQL, and answers questions about it:
// verify the chain, list/show/diff runs, the audit-period export, pruning with
// a checkpoint, and an Ed25519 signature over the chain head.
//
// Contract:
//
//   - A run is one recorded Result. Runs are numbered by Seq: 1, 2, 3, ...
//     without gaps. Record takes the store's write lock (SQLite BEGIN IMMEDIATE,
//     PostgreSQL pg_advisory_xact_lock) for the whole insert, so concurrent
//     writers are serialized and every run chains to exactly one predecessor.
//     A writer killed mid-transaction leaves nothing behind.
//   - Each run's stored content has one canonical serialization (Canonical):
//     JSON with object keys sorted bytewise, no insignificant whitespace, HTML
//     characters not escaped, integers in decimal, absent values as null and
//     empty lists as []. Its hash is hex(SHA-256(prev || canonical)) where prev
//     is the 32 raw bytes of the previous run's hash (32 zero bytes for run 1,
//     or the checkpoint's hash after a prune). docs/evidence.md lists the fields.
//   - Verify recomputes the chain from the stored rows and names the first run
//     that is missing, altered, or not linked to its predecessor. Deleting the
//     newest runs is only detectable against a signed head (VerifySignatures).
//   - Prune deletes the oldest runs and keeps one checkpoint row (the pruned
//     head's Seq and hash); Verify starts from it.
//   - The two backends share one schema (migrations/<dialect>/NNNN_name.sql,
//     applied in order and recorded in schema_migrations); their differences
//     are in dialect.
package evidence
