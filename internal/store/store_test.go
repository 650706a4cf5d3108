package store_test

import (
	"testing"

	"github.com/chatbot-platform/chatbot/internal/store/storetest"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

func TestStoreConformance(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, e.Open)
		})
	}
}
