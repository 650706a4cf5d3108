// Package file keeps a project's knowledge files: stored at OpenAI (Files API), indexed in the
// project's vector store for file_search, and recorded here.
package file

import (
	"log/slog"

	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// Service is the file logic. Every method is scoped by the caller's user id.
type Service struct {
	store    store.Store
	llm      *llm.Client
	maxBytes int64
	log      *slog.Logger
}

// NewService returns the file service; uploads larger than maxBytes are refused.
func NewService(s store.Store, c *llm.Client, maxBytes int64, log *slog.Logger) *Service {
	return &Service{store: s, llm: c, maxBytes: maxBytes, log: log}
}
