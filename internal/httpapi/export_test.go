package httpapi_test

import "github.com/chatbot-platform/chatbot/internal/store"

type storeT = store.Store
