package release_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/release"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

var ctx = context.Background()

// refusingGate refuses every draft and remembers the digests it was asked about.
type refusingGate struct{ asked []string }

func (g *refusingGate) AllowRelease(_ context.Context, _, _ int64, draft release.Snapshot) error {
	g.asked = append(g.asked, draft.Digest())
	return &model.ConflictError{Detail: "the latest evaluation run failed 2 of 5 cases"}
}

func TestGate_RefusesUnlessForcedAndNeverGatesPublish(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			st := e.Open(t)
			u, err := st.CreateUser(ctx, "gate@example.com", "hash")
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: "Gated", Model: "gpt-4o-mini", Temperature: 0.2, MaxOutputTokens: 100})
			if err != nil {
				t.Fatal(err)
			}
			svc := release.NewService(st, nil)
			if _, err := svc.Create(ctx, u.ID, p.ID, "before the gate", false); err != nil {
				t.Fatal(err)
			}
			gate := &refusingGate{}
			svc.SetGate(gate)
			var conflict *model.ConflictError
			if _, err := svc.Create(ctx, u.ID, p.ID, "refused", false); !errors.As(err, &conflict) || !strings.Contains(conflict.Detail, "2 of 5") {
				t.Fatalf("gated create: %v", err)
			}
			draft, err := svc.Draft(ctx, u.ID, p.ID)
			if err != nil || len(gate.asked) != 1 || gate.asked[0] != draft.Digest() {
				t.Fatalf("the gate was asked about %v, the draft is %s (%v)", gate.asked, draft.Digest(), err)
			}
			r, err := svc.Create(ctx, u.ID, p.ID, "forced", true)
			if err != nil || r.Number != 2 {
				t.Fatalf("forced create: %+v %v", r, err)
			}
			if _, err := svc.Publish(ctx, u.ID, p.ID, 1); err != nil || len(gate.asked) != 1 {
				t.Fatalf("rollback: %v; gate asked %d times", err, len(gate.asked))
			}
		})
	}
}

func TestDigest_EqualSnapshotsEqualDigests(t *testing.T) {
	a := model.Snapshot{Model: "m", Prompts: []model.SnapshotPrompt{{Name: "a", Content: "x"}}}
	b := a
	b.Files = []model.SnapshotFile{}
	if a.Digest() != b.Digest() {
		t.Fatal("nil and empty file lists digest differently")
	}
	b.Prompts = []model.SnapshotPrompt{{Name: "a", Content: "y"}}
	if a.Digest() == b.Digest() {
		t.Fatal("different prompts, same digest")
	}
}
