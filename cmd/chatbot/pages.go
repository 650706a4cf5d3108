package main

import "github.com/labstack/echo/v4"

// pages registers the dashboard and API docs (internal/web).
var pages func(*echo.Echo)
