package store_test

import (
	"testing"

	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
	"github.com/chatbot-platform/chatbot/internal/store/storetest"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

func TestStoreConformance(t *testing.T) {
	engines := append(testdb.Engines(), testdb.Engine{Name: "sqlite-read-cache", Open: func(t testing.TB) store.Store {
		return testdb.SQLite(t).(*sqlite.Store).Cached() // what the app runs on SQLite
	}})
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, e.Open)
		})
	}
}
