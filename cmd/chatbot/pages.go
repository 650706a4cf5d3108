package main

import "github.com/chatbot-platform/chatbot/internal/web"

// pages registers the dashboard and the API docs, embedded from frontend/dist.
var pages = web.Register
