package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/chatbot-platform/chatbot/api/client"
)

// A program that registers, logs in, creates a project with a prompt and chats with it.
func Example() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses("http://127.0.0.1:8000")
	if err != nil {
		log.Fatal(err)
	}
	creds := client.Credentials{Email: "ada@example.com", Password: "Analytical1"}
	if _, err := c.RegisterUserWithResponse(ctx, creds); err != nil {
		log.Fatal(err)
	}
	login, err := c.LoginUserWithResponse(ctx, creds)
	if err != nil || login.JSON200 == nil {
		log.Fatalf("login: %v %s", err, login.Body)
	}
	auth := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+login.JSON200.AccessToken)
		return nil
	}
	p, err := c.CreateProjectWithResponse(ctx, client.ProjectCreate{Name: "Support bot"}, auth)
	if err != nil || p.JSON201 == nil {
		log.Fatalf("create project: %v %s", err, p.Body)
	}
	c.CreatePromptWithResponse(ctx, p.JSON201.Id, client.PromptCreate{Name: "Tone", Content: "Answer briefly."}, auth)
	reply, err := c.SendMessageWithResponse(ctx, nil, client.ChatRequest{ProjectId: &p.JSON201.Id, Message: "Hello!"}, auth)
	if err != nil {
		log.Fatal(err)
	}
	if reply.JSON200 == nil { // 502/503/504: OpenAI trouble, explained in the detail
		log.Fatalf("chat: %d %s", reply.StatusCode(), reply.Body)
	}
	fmt.Println(reply.JSON200.Reply)
}

// A backend that chats with a published bot through a secret project key, for one of its own users. The
// owner made the key once (POST /projects/{id}/keys, shown in the response only) and keeps it in the
// backend's configuration.
func Example_projectKey() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses("http://127.0.0.1:8000", client.WithRequestEditorFn(
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer cb_sk_...") // the key: no project_id needed
			return nil
		}))
	if err != nil {
		log.Fatal(err)
	}
	user := "customer-42" // your own user id: their conversations stay theirs
	reply, err := c.SendMessageWithResponse(ctx, nil, client.ChatRequest{Message: "Where is my order?", User: &user})
	if err != nil {
		log.Fatal(err)
	}
	if reply.JSON200 == nil {
		log.Fatalf("chat: %d %s", reply.StatusCode(), reply.Body)
	}
	history, _ := c.GetConversationWithResponse(ctx, reply.JSON200.ConversationId, &client.GetConversationParams{User: &user})
	fmt.Println(len(history.JSON200.Messages))
}
