package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
)

// BenchmarkChatWrites is what one chat writes, as the group commit runs it: a new conversation with
// its question and answer and the usage row, 16 chats to a transaction (the commit's fsync included).
func BenchmarkChatWrites(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "app.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, "bench@example.com", "x")
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: "bench", Model: "gpt-4o-mini"})
	if err != nil {
		b.Fatal(err)
	}
	model_, latency, in, out := "gpt-4o-mini", int64(51), int64(20), int64(9)
	chat := func(tx store.Store) error {
		c, _, err := tx.StartConversation(ctx, u.ID, model.Conversation{ProjectID: p.ID, Title: "How many holidays do I get?"},
			model.Message{Role: model.RoleUser, Content: "How many holidays do I get?"},
			model.Message{Role: model.RoleAssistant, Content: "Thirty days a year.", Model: &model_, LatencyMS: &latency, InputTokens: &in, OutputTokens: &out})
		if err != nil {
			return err
		}
		return tx.AddUsageEvent(ctx, model.UsageEvent{ProjectID: p.ID, ConversationID: &c.ID, Operation: "chat", Model: model_,
			InputTokens: in, OutputTokens: out, LatencyMS: latency, Outcome: "ok", CostMicroUSD: 12})
	}
	const perCommit = 16
	b.ReportAllocs()
	for b.Loop() {
		if err := s.InTx(ctx, func(tx store.Store) error {
			for range perCommit {
				if err := chat(tx); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*perCommit), "µs/chat")
}
