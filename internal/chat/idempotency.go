package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

const (
	// IdempotencyWindow is how long a stored result answers a retry with the same Idempotency-Key.
	IdempotencyWindow = 24 * time.Hour
	// abandonedAfter frees a key whose request never stored a result (the process died meanwhile):
	// longer than any request may run.
	abandonedAfter = 15 * time.Minute
)

var (
	// ErrKeyInFlight: a request with the same Idempotency-Key is still running (HTTP 409).
	ErrKeyInFlight = errors.New("a request with this Idempotency-Key is still in progress; retry when it has finished")
	// ErrKeyReused: the Idempotency-Key was used with another request (HTTP 422).
	ErrKeyReused = errors.New("this Idempotency-Key was used with a different request; use a new key for a new message")
)

// Claim is an Idempotency-Key this request holds: Finish stores its result, or frees the key when the
// request failed. A nil *Claim (no key sent) does nothing.
type Claim struct {
	s  *Service
	id int64
}

// ClaimKey takes a caller's Idempotency-Key for a request identified by fingerprint (the operation
// and its body). It returns the key's stored result when an earlier request with it completed (replay
// it instead of calling the upstream again), or a Claim to Finish. Errors: ErrKeyInFlight,
// ErrKeyReused, and the store's.
func (s *Service) ClaimKey(ctx context.Context, v Viewer, key, fingerprint string) (*Claim, *Result, error) {
	caller := "user"
	if v.Key != nil {
		caller = fmt.Sprintf("key:%d:%s", v.Key.ID, v.EndUser)
	}
	sum := sha256.Sum256([]byte(fingerprint))
	now := store.Now()
	claimed, k, err := s.store.ClaimIdempotencyKey(ctx, model.IdempotencyKey{
		OwnerID: v.OwnerID, Caller: caller, Key: key, Fingerprint: hex.EncodeToString(sum[:]),
	}, now.Add(-IdempotencyWindow), now.Add(-abandonedAfter))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("chat: idempotency key: %w", err)
	case claimed:
		return &Claim{s: s, id: k.ID}, nil, nil
	case k.Fingerprint != hex.EncodeToString(sum[:]):
		return nil, nil, ErrKeyReused
	case k.Result == nil:
		return nil, nil, ErrKeyInFlight
	}
	var res Result
	if err := json.Unmarshal([]byte(*k.Result), &res); err != nil {
		return nil, nil, fmt.Errorf("chat: stored result of idempotency key %d: %w", k.ID, err)
	}
	return nil, &res, nil
}

// Finish stores res under the key when the request succeeded (err nil), and frees the key
// otherwise, so a retry runs again. It runs even if the client left; a failure is logged.
func (c *Claim) Finish(ctx context.Context, res Result, err error) {
	if c == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		if derr := c.s.store.DeleteIdempotencyKey(ctx, c.id); derr != nil {
			c.s.log.WarnContext(ctx, "idempotency key not released; retries answer 409 until it is abandoned", "error", derr)
		}
		return
	}
	b, _ := json.Marshal(res)
	if serr := c.s.store.SetIdempotencyResult(ctx, c.id, string(b)); serr != nil {
		c.s.log.WarnContext(ctx, "idempotency result not stored; a retry would get 409, then run again", "error", serr)
	}
}
