package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

// TestChat_UsesIndexedFilesAndCites: the file_search tool is sent only once a project has an indexed
// file, with the project's vector store, and the answer's citations name our file record, in the JSON
// reply, the stream's done event and the stored message.
func TestChat_UsesIndexedFilesAndCites(t *testing.T) {
	s, fake := chatServer(t, nil, fakeopenai.WithIndexingDelay(300*time.Millisecond))
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Docs bot"}`)

	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "before any file", 0)), 200, "")
	if tools := fake.RequestsTo(fakeopenai.Responses)[0].Responses.Tools; len(tools) != 0 {
		t.Fatalf("tools without files: %+v", tools)
	}

	ct, body := multipartBody(t, part{field: "file", filename: "handbook.txt", content: []byte("Refunds are possible within 30 days.\nMore text.")})
	up, err := s.Client.UploadFileWithBodyWithResponse(ctx, pid, ct, body, apitest.Bearer(tok))
	if err != nil || up.JSON201 == nil {
		t.Fatalf("upload: %v %s", err, up.Body)
	}
	fileID := up.JSON201.Id

	// Still indexing: no tool yet.
	fake.ResetRequests()
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "while indexing", 0)), 200, "")
	if tools := fake.RequestsTo(fakeopenai.Responses)[0].Responses.Tools; len(tools) != 0 {
		t.Fatalf("tools while indexing: %+v", tools)
	}
	// The file's job stores its completed status (the list shows what is stored).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		l, err := s.Client.ListFilesWithResponse(ctx, pid, nil, apitest.Bearer(tok))
		if err == nil && l.JSON200 != nil && len(*l.JSON200) == 1 && (*l.JSON200)[0].Status == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file was not indexed: %v %s", err, l.Body)
		}
	}

	fake.ResetRequests()
	r := s.Do(t, "POST", "/chat", tok, chatBody(pid, "What is the refund policy?", 0))
	wantStatus(t, r, 200, "")
	call := fake.RequestsTo(fakeopenai.Responses)[0].Responses
	vs := fake.VectorStores() // vector store id -> file ids
	var vsID string
	for id := range vs {
		vsID = id
	}
	if len(call.Tools) != 1 || call.Tools[0].Type != "file_search" || len(vs) != 1 || fmt.Sprint(call.Tools[0].VectorStoreIDs) != fmt.Sprint([]string{vsID}) {
		t.Fatalf("tools = %+v, vector stores %+v", call.Tools, vs)
	}
	var reply struct {
		ConversationID int64 `json:"conversation_id"`
		Citations      []struct {
			FileID       *int64 `json:"file_id"`
			OpenAIFileID string `json:"openai_file_id"`
			Filename     string
			Quote        *string
		}
	}
	json.Unmarshal(r.Body, &reply)
	if len(reply.Citations) != 1 || reply.Citations[0].FileID == nil || *reply.Citations[0].FileID != fileID ||
		reply.Citations[0].Filename != "handbook.txt" || reply.Citations[0].OpenAIFileID != up.JSON201.OpenaiFileId {
		t.Fatalf("citations = %s", r.Body)
	}
	if q := reply.Citations[0].Quote; q == nil || !strings.Contains(*q, "Refunds are possible") {
		t.Fatalf("quote = %v", q)
	}
	conv, _ := s.Client.GetConversationWithResponse(ctx, reply.ConversationID, nil, apitest.Bearer(tok))
	if c := conv.JSON200.Messages[1].Citations; len(c) != 1 || c[0].FileId == nil || *c[0].FileId != fileID {
		t.Fatalf("stored citations = %+v", c)
	}

	_, events := streamChat(t, s, tok, chatBody(pid, "And in the stream?", 0))
	done := events[len(events)-1]
	if done.Name != "done" || !strings.Contains(done.Data, `"filename":"handbook.txt"`) || !strings.Contains(done.Data, fmt.Sprintf(`"file_id":%d`, fileID)) {
		t.Fatalf("stream done event = %+v", done)
	}
}
