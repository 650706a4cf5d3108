package chat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// An instance killed mid-request never finishes its claim. A running request renews it, so retries
// meanwhile answer 409; once renewals stop, a retry takes the key over after the lease instead of
// answering 409 for the whole abandonment window.
func TestClaimKey_HeldWhileRenewedTakenOverOnceItsProcessDied(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := eng.Open(t)
			u, err := st.CreateUser(ctx, "claims@example.com", "hash")
			if err != nil {
				t.Fatal(err)
			}
			const lease = 400 * time.Millisecond
			s := &Service{store: st, log: slog.New(slog.NewTextHandler(io.Discard, nil)), leaseForTest: lease, renewForTest: lease / 8}
			v := Viewer{OwnerID: u.ID}

			first, _, err := s.ClaimKey(ctx, v, "k", "fp")
			if err != nil || first == nil {
				t.Fatalf("claim: %v %v", first, err)
			}
			time.Sleep(2 * lease) // renewed meanwhile
			if _, _, err := s.ClaimKey(ctx, v, "k", "fp"); !errors.Is(err, ErrKeyInFlight) {
				t.Fatalf("a retry while the first request runs: %v, want ErrKeyInFlight", err)
			}

			close(first.stop) // the process dies: no more renewals, no Finish
			<-first.done
			time.Sleep(lease + lease/2)
			second, replay, err := s.ClaimKey(ctx, v, "k", "fp")
			if err != nil || second == nil || replay != nil {
				t.Fatalf("a retry after the lease: claim %v, replay %v, err %v; want the key taken over", second, replay, err)
			}
			second.Finish(ctx, Result{Reply: "done"}, nil)
			if _, replay, err := s.ClaimKey(ctx, v, "k", "fp"); err != nil || replay == nil || replay.Reply != "done" {
				t.Fatalf("after the second request finished: %v %v", replay, err)
			}
		})
	}
}
