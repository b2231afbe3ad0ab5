package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signature is an Ed25519 signature over a chain head (SignedMessage).
type Signature struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	// PublicKey and Signature are standard base64.
	PublicKey string    `json:"public_key"`
	Signature string    `json:"signature"`
	SignedAt  time.Time `json:"signed_at"`
}

// SignedMessage is the byte string a head signature covers:
// "sagefence-evidence-head-v1\n<seq>\n<hash hex>\n".
func SignedMessage(seq int64, hash string) []byte {
	return []byte("sagefence-evidence-head-v1\n" + strconv.FormatInt(seq, 10) + "\n" + hash + "\n")
}

// CheckpointMessage is the byte string a checkpoint signature covers:
// "sagefence-evidence-checkpoint-v1\n<seq>\n<hash hex>\n<pruned runs>\n<pruned at, RFC 3339>\n".
// It differs from SignedMessage, so a head signature of run N cannot pass
// for a checkpoint at run N (which would let runs 1..N be deleted).
func CheckpointMessage(cp *Checkpoint) []byte {
	return []byte("sagefence-evidence-checkpoint-v1\n" + strconv.FormatInt(cp.Seq, 10) + "\n" + cp.Hash + "\n" +
		strconv.FormatInt(cp.PrunedRuns, 10) + "\n" + cp.PrunedAt.UTC().Format(time.RFC3339) + "\n")
}

// SignCheckpoint signs the store's prune checkpoint with the key and
// stores the signature; a store without a checkpoint is an error.
func SignCheckpoint(ctx context.Context, st Store, priv ed25519.PrivateKey) (*Checkpoint, error) {
	cp, err := st.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if cp == nil {
		return nil, errors.New("the store has no prune checkpoint to sign")
	}
	cp.PublicKey = base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	cp.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, CheckpointMessage(cp)))
	if err := st.SignCheckpoint(ctx, cp); err != nil {
		return nil, err
	}
	return cp, nil
}

// checkpointProblem says why the checkpoint is not vouched for by pub, or "".
func checkpointProblem(cp *Checkpoint, pub ed25519.PublicKey) string {
	what := fmt.Sprintf("the prune checkpoint (run %d, %d runs pruned)", cp.Seq, cp.PrunedRuns)
	if cp.Signature == "" {
		return what + " is not signed: runs before it may have been deleted and the checkpoint forged (prune with --key to sign it)"
	}
	if cp.PublicKey != base64.StdEncoding.EncodeToString(pub) {
		return what + " is signed by another key"
	}
	raw, err := base64.StdEncoding.DecodeString(cp.Signature)
	if err != nil || !ed25519.Verify(pub, CheckpointMessage(cp), raw) {
		return what + "'s signature does not verify with this key (checkpoint or signature altered)"
	}
	return ""
}

// GenerateKey returns a new key pair as PEM: the private key in PKCS #8
// ("PRIVATE KEY"), the public key in PKIX ("PUBLIC KEY").
func GenerateKey() (privPEM, pubPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating an Ed25519 key: %w", err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), nil
}

// ParsePrivateKey reads an Ed25519 private key: PEM PKCS #8, or standard
// base64 of the 32-byte seed or the 64-byte private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM private key: %w", err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PEM private key is a %T, not Ed25519", k)
		}
		return priv, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, errors.New("private key is neither PEM nor base64")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("base64 private key has %d bytes, want 32 (seed) or 64", len(raw))
}

// ParsePublicKey reads an Ed25519 public key: PEM PKIX, or standard base64 of
// the 32 raw bytes.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("PEM public key is a %T, not Ed25519", k)
		}
		return pub, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, errors.New("public key is neither PEM nor base64")
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("base64 public key has %d bytes, want 32", len(raw))
	}
	return ed25519.PublicKey(raw), nil
}

// SignHead verifies the chain, signs its head with the key and stores the
// signature. A chain that does not verify is not signed.
func SignHead(ctx context.Context, st Store, priv ed25519.PrivateKey, now time.Time) (Signature, error) {
	rep, err := st.Verify(ctx)
	if err != nil {
		return Signature{}, err
	}
	if !rep.OK {
		return Signature{}, fmt.Errorf("refusing to sign a chain that does not verify: %s", rep.Problem)
	}
	if rep.HeadSeq == 0 {
		return Signature{}, errors.New("the store has no runs to sign")
	}
	sig := Signature{
		Seq: rep.HeadSeq, Hash: rep.HeadHash,
		PublicKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, SignedMessage(rep.HeadSeq, rep.HeadHash))),
		SignedAt:  now.UTC().Truncate(time.Second),
	}
	if err := st.AddSignature(ctx, sig); err != nil {
		return Signature{}, err
	}
	return sig, nil
}

// SignatureReport is the outcome of checking the stored signatures of one key.
type SignatureReport struct {
	OK bool `json:"ok"`
	// Seq/Hash is the newest head signed by the key.
	Seq       int64      `json:"seq"`
	Hash      string     `json:"hash"`
	SignedAt  time.Time  `json:"signed_at"`
	Unsigned  int64      `json:"unsigned_runs"` // runs recorded after the signed head
	Problem   string     `json:"problem,omitempty"`
	Signature *Signature `json:"-"`
}

// VerifySignatures checks the newest signature made with pub against the
// chain the report describes: the signature must be valid, and the signed
// run must still be in the chain with the signed hash (or be the checkpoint).
// A signed head beyond the chain's head means runs were deleted from its end.
// A prune checkpoint must carry a valid signature by pub (CheckpointMessage):
// otherwise deleting the oldest runs and writing a checkpoint in their place
// would go unnoticed.
func VerifySignatures(ctx context.Context, st Store, rep *VerifyReport, pub ed25519.PublicKey) (*SignatureReport, error) {
	sigs, err := st.Signatures(ctx)
	if err != nil {
		return nil, err
	}
	want := base64.StdEncoding.EncodeToString(pub)
	out := &SignatureReport{}
	if rep.Checkpoint != nil {
		if problem := checkpointProblem(rep.Checkpoint, pub); problem != "" {
			out.Problem = problem
			return out, nil
		}
	}
	for i := range sigs {
		if sigs[i].PublicKey == want {
			out.Signature = &sigs[i]
			break
		}
	}
	if out.Signature == nil {
		out.Problem = "no signature by this public key is stored"
		return out, nil
	}
	sig := out.Signature
	out.Seq, out.Hash, out.SignedAt = sig.Seq, sig.Hash, sig.SignedAt
	raw, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || !ed25519.Verify(pub, SignedMessage(sig.Seq, sig.Hash), raw) {
		out.Problem = fmt.Sprintf("the signature of run %d does not verify with this key (signature or signed hash altered)", sig.Seq)
		return out, nil
	}
	switch {
	case rep.Checkpoint != nil && sig.Seq < rep.Checkpoint.Seq:
		out.Problem = fmt.Sprintf("the signed run %d was pruned (checkpoint at run %d): sign the current head", sig.Seq, rep.Checkpoint.Seq)
		return out, nil
	case sig.Seq > rep.HeadSeq && rep.OK:
		out.Problem = fmt.Sprintf("the signed head is run %d but the chain ends at run %d: runs %d to %d were deleted",
			sig.Seq, rep.HeadSeq, rep.HeadSeq+1, sig.Seq)
		return out, nil
	}
	if rep.Checkpoint != nil && sig.Seq == rep.Checkpoint.Seq {
		if sig.Hash != rep.Checkpoint.Hash {
			out.Problem = fmt.Sprintf("the checkpoint's hash differs from the signed hash of run %d", sig.Seq)
			return out, nil
		}
	} else {
		r, err := st.Run(ctx, sig.Seq)
		if errors.Is(err, ErrNoRun) {
			out.Problem = fmt.Sprintf("the signed run %d is missing", sig.Seq)
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if r.Hash != sig.Hash {
			out.Problem = fmt.Sprintf("run %d's hash %s differs from the signed hash %s", sig.Seq, short(r.Hash), short(sig.Hash))
			return out, nil
		}
	}
	out.OK = true
	if rep.HeadSeq > sig.Seq {
		out.Unsigned = rep.HeadSeq - sig.Seq
	}
	return out, nil
}
