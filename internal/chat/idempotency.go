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
	// ClaimLease frees a key whose request stopped renewing its claim without a result: its process
	// died (killed, crashed, its machine lost), so a retry on another instance may run it. A running
	// request renews its claim every claimRenewEvery.
	ClaimLease      = 20 * time.Second
	claimRenewEvery = 5 * time.Second
	// claimMaxHold ends renewals of a claim whatever happens: no request runs this long, so a claim
	// never stays held for good.
	claimMaxHold = 15 * time.Minute
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
	s      *Service
	id     int64
	stop   chan struct{} // closed by Finish: renewals end
	done   chan struct{} // closed when they have
	result bool          // the result was committed with the reply (storeIn)
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
	}, now.Add(-IdempotencyWindow), now.Add(-s.claimLease()))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("chat: idempotency key: %w", err)
	case claimed:
		c := &Claim{s: s, id: k.ID, stop: make(chan struct{}), done: make(chan struct{})}
		go c.renew(context.WithoutCancel(ctx))
		return c, nil, nil
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
	close(c.stop)
	<-c.done
	if err == nil && c.result {
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

// storeIn stores res as the claim's result in tx, the transaction that stores the reply. A claim
// taken over meanwhile (its renewals failed for a whole lease) is left to its new holder.
func (c *Claim) storeIn(ctx context.Context, tx store.Store, res Result) error {
	if c == nil {
		return nil
	}
	b, _ := json.Marshal(res)
	if err := tx.SetIdempotencyResult(ctx, c.id, string(b)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// stored records that storeIn's transaction committed: Finish has no result left to store.
func (c *Claim) stored() {
	if c != nil {
		c.result = true
	}
}

// renew keeps the claim alive while its request runs (until Finish, at most claimMaxHold). A failed
// renewal is logged; the request goes on (if the database is away it cannot store its reply anyway).
func (c *Claim) renew(ctx context.Context) {
	defer close(c.done)
	every := c.s.renewForTest
	if every <= 0 {
		every = claimRenewEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	limit := time.After(claimMaxHold)
	for {
		select {
		case <-c.stop:
			return
		case <-limit:
			return
		case <-tick.C:
			rctx, cancel := context.WithTimeout(ctx, every)
			err := c.s.store.RenewIdempotencyKey(rctx, c.id, store.Now())
			cancel()
			if err != nil {
				c.s.log.WarnContext(ctx, "idempotency key not renewed; a retry may take it over once the lease ends", "error", err, "lease", c.s.claimLease())
			}
		}
	}
}

func (s *Service) claimLease() time.Duration {
	if s.leaseForTest > 0 {
		return s.leaseForTest
	}
	return ClaimLease
}
