// Package scale holds the scale-out test (make test-scale): two instances of the release binary on one
// PostgreSQL database and one Redis, behind a real HAProxy, with the in-repo OpenAI fake. Its tests
// run only when SCALE_TEST=1, so `go test ./...` (make test) skips them; see scale_test.go.
package scale
