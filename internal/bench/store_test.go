package bench

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
)

// countMessages opens the server's database and counts every stored message of the benchmark user.
func countMessages(b *testing.B, s *server) int {
	ctx := context.Background()
	var st store.Store
	var err error
	if strings.HasPrefix(s.dbURL, "postgres") {
		st, err = postgres.Open(ctx, s.dbURL)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(s.cmd.Dir, "app.db"))
	}
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	u, err := st.GetUserByEmail(ctx, benchEmail)
	if err != nil {
		b.Fatal(err)
	}
	ps, _ := st.ListProjects(ctx, u.ID)
	n := 0
	for _, p := range ps {
		cs, _ := st.ListConversations(ctx, u.ID, p.ID, store.ConversationFilter{}, store.Page{Limit: 1 << 30})
		for _, c := range cs {
			ms, _ := st.ListMessages(ctx, u.ID, c.ID, store.Page{Limit: 1 << 30})
			n += len(ms)
		}
	}
	return n
}
