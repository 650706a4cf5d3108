package auth

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// DefaultHashRounds is OWASP's 2023 recommendation for PBKDF2-SHA256.
const DefaultHashRounds = 600_000

const (
	hashPrefix = "$pbkdf2-sha256$"
	saltBytes  = 16
	keyBytes   = 32
)

// ab64 is passlib's "adapted base64": standard alphabet with '.' for '+', no padding.
var ab64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").WithPadding(base64.NoPadding)

var errMalformedHash = errors.New("auth: malformed password hash")

// Hasher hashes passwords with PBKDF2-SHA256 in passlib's format, so hashes written by a Python
// deployment of the same design verify unchanged. At most one hash per CPU runs at a time: a flood of
// logins queues here instead of starving every other request of CPU.
type Hasher struct {
	rounds int
	slots  chan struct{}
	dummy  string
}

// NewHasher returns a Hasher that writes hashes with the given number of rounds.
func NewHasher(rounds int) *Hasher {
	h := &Hasher{rounds: rounds, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	// The dummy only has to cost a real verification (its rounds and a salt): its sum is random
	// bytes, not derived, which would take as long as a sign-in at start-up (≈ 120 ms by default).
	salt, sum := make([]byte, saltBytes), make([]byte, keyBytes)
	rand.Read(salt)
	rand.Read(sum)
	h.dummy = encodeHash(rounds, salt, sum)
	return h
}

// Hash returns the passlib-format hash of password; it fails only when ctx ends while waiting.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltBytes)
	rand.Read(salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return encodeHash(h.rounds, salt, derive(password, salt, h.rounds)), nil
}

// Verify reports whether password matches hash, and whether the hash should be rewritten because it
// uses fewer rounds than this Hasher writes.
func (h *Hasher) Verify(ctx context.Context, password, hash string) (ok, needsRehash bool, err error) {
	rounds, salt, sum, err := decodeHash(hash)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := derive(password, salt, rounds)
	ok = subtle.ConstantTimeCompare(got, sum) == 1
	return ok, ok && rounds < h.rounds, nil
}

// VerifyDummy spends the same time as a real verification, so an unknown email cannot be told apart
// from a wrong password by timing.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) {
	h.Verify(ctx, password, h.dummy)
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

func derive(password string, salt []byte, rounds int) []byte {
	key, err := pbkdf2.Key(sha256.New, password, salt, rounds, keyBytes)
	if err != nil { // only for parameters FIPS mode forbids; ours are fixed and allowed
		panic(err)
	}
	return key
}

func encodeHash(rounds int, salt, sum []byte) string {
	return hashPrefix + strconv.Itoa(rounds) + "$" + ab64.EncodeToString(salt) + "$" + ab64.EncodeToString(sum)
}

func decodeHash(hash string) (rounds int, salt, sum []byte, err error) {
	rest, ok := strings.CutPrefix(hash, hashPrefix)
	parts := strings.Split(rest, "$")
	if !ok || len(parts) != 3 {
		return 0, nil, nil, errMalformedHash
	}
	rounds, err = strconv.Atoi(parts[0])
	if err != nil || rounds < 1 {
		return 0, nil, nil, errMalformedHash
	}
	if salt, err = ab64.DecodeString(parts[1]); err != nil {
		return 0, nil, nil, fmt.Errorf("%w: salt", errMalformedHash)
	}
	if sum, err = ab64.DecodeString(parts[2]); err != nil || len(sum) == 0 {
		return 0, nil, nil, fmt.Errorf("%w: checksum", errMalformedHash)
	}
	return rounds, salt, sum, nil
}
