package apitest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  string
)

// Binary is the chatbot binary built with the release flags (as `make build` does), once per test
// process; CHATBOT_BIN names one already built instead (make test-scale passes bin/chatbot).
func Binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("CHATBOT_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			buildErr = "go list -m: " + err.Error()
			return
		}
		dir, err := os.MkdirTemp("", "chatbot-bin")
		if err != nil {
			buildErr = err.Error()
			return
		}
		binary = filepath.Join(dir, "chatbot")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binary, "./cmd/chatbot")
		cmd.Dir = strings.TrimSpace(string(root))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = "build: " + err.Error() + "\n" + string(out)
		}
	})
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	return binary
}

// FreeAddr is a loopback address with a port nobody listens on now (host:port).
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
