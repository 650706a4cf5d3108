package main

// Optional checks that need the server's sources (-build) or run its binary (-smoke). Without a Docker
// engine, they replay what the image build and the container do: build from a copy of the build context
// filtered by .dockerignore (catches an ignore rule that drops an embedded or needed file), then run the
// binary with the container's settings.

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// copyContext copies ctxDir into dst, leaving out what .dockerignore excludes (as `docker build` does).
func copyContext(ctxDir, dst string) error {
	var patterns []string
	if f, err := os.Open(filepath.Join(ctxDir, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	return filepath.WalkDir(ctxDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(ctxDir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if m, err := pm.MatchesOrParentMatches(rel); err != nil {
			return err
		} else if m {
			if d.IsDir() && !pm.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			return copyFile(path, target)
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// buildBinary builds the server like the Dockerfile's build stage, from a .dockerignore-filtered copy of
// the build context. The flags match CI's, so the Go build cache is shared with CI's own build.
func buildBinary(c *checker, ctxDir, work string) string {
	src := filepath.Join(work, "src")
	if err := copyContext(ctxDir, src); err != nil {
		c.fail("-build: copying the build context: %v", err)
		return ""
	}
	bin := filepath.Join(work, "chatbot")
	cmd := exec.Command("go", "build", "-trimpath", `-ldflags=-s -w`, "-o", bin, "./cmd/chatbot")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		c.fail("-build: `CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" ./cmd/chatbot` fails in the build context as filtered by .dockerignore (%v):\n%s", err, indent(string(out)))
		return ""
	}
	// distroless/static has no libc or dynamic loader: a dynamically linked binary would not start.
	if f, err := elf.Open(bin); err != nil {
		c.fail("-build: reading the binary: %v", err)
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				c.fail("-build: the binary is dynamically linked; it cannot run on distroless/static")
			}
		}
		f.Close()
	}
	return bin
}

// smoke runs the binary the way the containers do: `migrate`, then the server with ADDR=0.0.0.0:PORT,
// probed with `healthcheck`, then stopped with SIGTERM (what `docker stop` sends).
func smoke(c *checker, bin, work string) {
	// The container's working directory is /, not writable by the nonroot user: run in an empty
	// directory and report anything written there.
	dataDir, runDir := filepath.Join(work, "data"), filepath.Join(work, "run")
	for _, d := range []string{dataDir, runDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			c.fail("-smoke: %v", err)
			return
		}
	}
	port, err := freePort()
	if err != nil {
		c.fail("-smoke: %v", err)
		return
	}
	deadPort, err := freePort()
	if err != nil {
		c.fail("-smoke: %v", err)
		return
	}
	env := containerEnv(fmt.Sprintf("0.0.0.0:%d", port), "sqlite://"+filepath.Join(dataDir, "app.db"))
	run := func(timeout time.Duration, env []string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir, cmd.Env = runDir, env
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			err = fmt.Errorf("no exit within %s", timeout)
		}
		return string(out), err
	}

	if out, err := run(2*time.Minute, env, "migrate"); err != nil {
		c.fail("-smoke: `chatbot migrate` failed (%v):\n%s", err, indent(out))
		return
	}
	// Nothing listens on deadPort: healthcheck must fail, and quickly (the compose timeout is 5 s).
	start := time.Now()
	if _, err := run(10*time.Second, containerEnv(fmt.Sprintf("0.0.0.0:%d", deadPort), ""), "healthcheck"); err == nil {
		c.fail("-smoke: `chatbot healthcheck` exits 0 while no server is listening")
	} else if d := time.Since(start); d > 5*time.Second {
		c.fail("-smoke: `chatbot healthcheck` took %s to report a dead server (compose timeout is 5s)", d.Round(time.Millisecond))
	}

	logPath := filepath.Join(work, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		c.fail("-smoke: %v", err)
		return
	}
	defer logFile.Close()
	srv := exec.Command(bin)
	srv.Dir, srv.Env, srv.Stdout, srv.Stderr = runDir, env, logFile, logFile
	if err := srv.Start(); err != nil {
		c.fail("-smoke: starting the server: %v", err)
		return
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	serverLog := func() string { b, _ := os.ReadFile(logPath); return indent(string(b)) }

	healthy := false
	deadline := time.Now().Add(30 * time.Second)
	for !healthy && time.Now().Before(deadline) {
		select {
		case err := <-exited:
			c.fail("-smoke: the server exited before it became healthy (%v):\n%s", err, serverLog())
			return
		default:
		}
		if _, err := run(5*time.Second, env, "healthcheck"); err == nil {
			healthy = true
		} else {
			time.Sleep(300 * time.Millisecond)
		}
	}
	if !healthy {
		c.fail("-smoke: `chatbot healthcheck` (ADDR=0.0.0.0:%d) never exited 0 within 30s:\n%s", port, serverLog())
	}

	_ = srv.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			c.fail("-smoke: after SIGTERM the server exited with %v (want a graceful exit 0):\n%s", err, serverLog())
		}
	case <-time.After(10 * time.Second): // docker stop's default grace period
		_ = srv.Process.Kill()
		<-exited
		c.fail("-smoke: the server did not exit within 10s of SIGTERM (docker stop would SIGKILL it)")
	}
	if entries, _ := os.ReadDir(runDir); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		c.fail("-smoke: the server wrote %s into its working directory (in the container that is /, not writable; LOG_FILE is empty)", strings.Join(names, ", "))
	}
}

// containerEnv is the image's environment: the OS environment without the server's own variables, plus
// the values the Dockerfile and compose set. OpenAI points at a closed port: no network calls leave.
func containerEnv(addr, dbURL string) []string {
	own := []string{"ADDR", "DATABASE_URL", "SECRET_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL",
		"LOG_FORMAT", "LOG_FILE", "CORS_ORIGINS", "TRUSTED_PROXIES"}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(own, k) {
			env = append(env, kv)
		}
	}
	env = append(env, "ADDR="+addr, "SECRET_KEY="+dummySecret, "LOG_FORMAT=json", "LOG_FILE=",
		"OPENAI_API_KEY=sk-composecheck", "OPENAI_BASE_URL=http://127.0.0.1:9/v1")
	if dbURL != "" {
		env = append(env, "DATABASE_URL="+dbURL)
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return "      " + strings.ReplaceAll(s, "\n", "\n      ")
}
