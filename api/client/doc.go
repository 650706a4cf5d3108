// Package client is the typed Go client of the chatbot platform's API, generated from api/openapi.yaml.
//
//	c, err := client.NewClientWithResponses("http://127.0.0.1:8000")
//	tok, err := c.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: e, Password: p})
//
// Authenticate later calls with a request editor that sets "Authorization: Bearer <token>".
package client
