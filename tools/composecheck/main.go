// Command composecheck validates docker-compose.yml offline (no Docker engine or compose plugin needed),
// loading it with compose-go the way Compose v2 does, then checks this project's deployment rules and
// sanity-checks the app's Dockerfile and .dockerignore.
//
//	cd tools/composecheck && go run . -f ../../docker-compose.yml
//
// With -build it also replays the image build without Docker (go build from a .dockerignore-filtered copy
// of the build context); with -smoke it then runs the binary as the containers do (see smoke.go).
//
// Exit status 0: all good; 1: problems (listed on stderr); 2: usage error.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

const (
	appService   = "app"
	dummySecret  = "composecheck-dummy-secret-key-0123456789abcdef" // ≥ 32 bytes
	secretEnvVar = "SECRET_KEY"
)

// Services app must wait for, and the condition required.
var appDeps = map[string]string{
	"postgres": types.ServiceConditionHealthy,
	"redis":    types.ServiceConditionHealthy,
}

type checker struct{ problems []string }

func (c *checker) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func main() {
	file := flag.String("f", "docker-compose.yml", "compose file to check")
	build := flag.Bool("build", false, "also build ./cmd/chatbot like the image does, from the build context filtered by .dockerignore")
	smokeRun := flag.Bool("smoke", false, "-build, then run the binary like the containers do (migrate, serve on 0.0.0.0, healthcheck, SIGTERM) with SQLite")
	printCfg := flag.Bool("print", false, "also print the resolved project (like `docker compose config`, with the dummy SECRET_KEY)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: composecheck [-f docker-compose.yml] [-build | -smoke] [-print]")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "composecheck:", err)
		os.Exit(2)
	}

	c := &checker{}
	ctx := context.Background()

	project, err := load(ctx, abs, true)
	if err != nil {
		c.fail("compose file does not load/validate (with %s set): %v", secretEnvVar, err)
	} else {
		checkProject(c, project)
		if *printCfg {
			if out, err := project.MarshalYAML(); err != nil {
				c.fail("printing the project: %v", err)
			} else {
				os.Stdout.Write(out)
			}
		}
	}
	guardMsg := ""
	if project != nil {
		guardMsg = checkSecretGuard(ctx, c, abs)
	}

	if (*build || *smokeRun) && project != nil && len(c.problems) == 0 {
		buildAndSmoke(c, project, *smokeRun)
	}

	if len(c.problems) > 0 {
		fmt.Fprintf(os.Stderr, "composecheck: %s: %d problem(s):\n", *file, len(c.problems))
		for _, p := range c.problems {
			fmt.Fprintln(os.Stderr, "  -", p)
		}
		os.Exit(1)
	}
	names := project.ServiceNames()
	slices.Sort(names)
	fmt.Printf("composecheck: %s OK (project %q, services: %s)\n", *file, project.Name, strings.Join(names, ", "))
	fmt.Printf("composecheck: without %s, loading fails as it should: %s\n", secretEnvVar, guardMsg)
}

// load reads the compose file like `docker compose` does: working directory = the file's directory,
// OS environment, then the .env file next to it (OS wins). With withSecret, SECRET_KEY is a dummy value
// (overriding the shell and .env); without, SECRET_KEY is removed and .env is not read, so the
// `${SECRET_KEY:?…}` guard must fire.
func load(ctx context.Context, file string, withSecret bool) (*types.Project, error) {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, secretEnvVar+"=") {
			env = append(env, kv)
		}
	}
	opts := []cli.ProjectOptionsFn{cli.WithWorkingDirectory(filepath.Dir(file))}
	if withSecret {
		// The .env file only fills variables not already set, so the dummy wins over it.
		env = append(env, secretEnvVar+"="+dummySecret)
		opts = append(opts, cli.WithEnv(env), cli.WithEnvFiles(), cli.WithDotEnv)
	} else {
		opts = append(opts, cli.WithEnv(env))
	}
	opts = append(opts,
		cli.WithDefaultProfiles(),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	)
	po, err := cli.NewProjectOptions([]string{file}, opts...)
	if err != nil {
		return nil, err
	}
	return po.LoadProject(ctx)
}

// checkSecretGuard loads the file without SECRET_KEY (and without .env): it must fail, naming the variable.
// It returns the error Compose users would see.
func checkSecretGuard(ctx context.Context, c *checker, file string) string {
	_, err := load(ctx, file, false)
	if err == nil {
		c.fail("%s unset: loading should fail (use ${%s:?message}), but it succeeded", secretEnvVar, secretEnvVar)
		return ""
	}
	if !strings.Contains(err.Error(), secretEnvVar) {
		c.fail("%s unset: loading failed, but the error does not name %s: %v", secretEnvVar, secretEnvVar, err)
	}
	first, _, _ := strings.Cut(err.Error(), "\n") // one line per service using the variable
	return first
}

func checkProject(c *checker, p *types.Project) {
	// One-shot jobs: services some other service waits on with service_completed_successfully.
	oneShot := map[string]bool{}
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				oneShot[dep] = true
			}
		}
	}

	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		hc := s.HealthCheck
		hasHC := hc != nil && !hc.Disable && len(hc.Test) > 0 && hc.Test[0] != "NONE"
		switch {
		case oneShot[name]:
			if s.Restart != "" && s.Restart != types.RestartPolicyNo {
				c.fail("service %q is a one-shot job (others wait for it to complete) but has restart: %s", name, s.Restart)
			}
		case !hasHC:
			c.fail("service %q has no healthcheck", name)
		}
		if !oneShot[name] && s.Restart == "" && s.Deploy == nil {
			c.fail("service %q has no restart policy", name)
		}
		if s.NetworkMode == "host" {
			c.fail("service %q uses network_mode: host (bypasses the 127.0.0.1 port binding)", name)
		}
		for _, port := range s.Ports {
			ip := net.ParseIP(port.HostIP)
			if ip == nil || !ip.IsLoopback() {
				c.fail("service %q publishes container port %d on host IP %q: bind it to 127.0.0.1 (e.g. \"127.0.0.1:%d:%d\")",
					name, port.Target, port.HostIP, port.Target, port.Target)
			}
		}
	}

	app, ok := p.Services[appService]
	if !ok {
		c.fail("no %q service", appService)
		return
	}
	for dep, cond := range appDeps {
		if _, ok := p.Services[dep]; !ok {
			c.fail("no %q service", dep)
		}
		d, ok := app.DependsOn[dep]
		switch {
		case !ok:
			c.fail("%s does not depend on %s", appService, dep)
		case d.Condition != cond:
			c.fail("%s depends on %s with condition %q, want %q", appService, dep, d.Condition, cond)
		}
	}
	if hc := app.HealthCheck; hc != nil && !slices.Contains(hc.Test, "healthcheck") {
		c.fail("%s healthcheck should run the binary's `healthcheck` subcommand (distroless has no curl), got %v", appService, hc.Test)
	}
	checkAppEnv(c, p, app)
	checkVolume(c, p, "postgres", "/var/lib/postgresql/data")

	if app.Build == nil {
		c.fail("%s has no build section", appService)
		return
	}
	if app.Build.DockerfileInline != "" {
		c.fail("%s uses dockerfile_inline; expected the repository Dockerfile", appService)
		return
	}
	ctxDir := app.Build.Context
	dockerfile := app.Build.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(ctxDir, dockerfile)
	}
	if fi, err := os.Stat(dockerfile); err != nil || fi.IsDir() {
		c.fail("%s build: Dockerfile %s does not exist (context %s)", appService, dockerfile, ctxDir)
		return
	}
	checkDockerfile(c, dockerfile)
	checkDockerignore(c, ctxDir)
}

func checkAppEnv(c *checker, p *types.Project, app types.ServiceConfig) {
	get := func(k string) (string, bool) {
		v, ok := app.Environment[k]
		if !ok || v == nil {
			return "", false
		}
		return *v, true
	}
	if v, _ := get(secretEnvVar); v != dummySecret {
		c.fail("%s: %s must come from the %s variable (${%s:?…}), got %q", appService, secretEnvVar, secretEnvVar, secretEnvVar, v)
	}
	if v, _ := get("ADDR"); !strings.HasPrefix(v, "0.0.0.0:") {
		c.fail("%s: ADDR must listen on all interfaces inside the container (0.0.0.0:PORT), got %q", appService, v)
	}
	if v, ok := get("LOG_FILE"); !ok || v != "" {
		c.fail("%s: LOG_FILE must be set to empty in containers (log to stdout), got %q (set: %v)", appService, v, ok)
	}
	checkURLHost(c, p, "DATABASE_URL", get, "postgres", "postgres")
	if _, ok := get("REDIS_URL"); ok {
		checkURLHost(c, p, "REDIS_URL", get, "redis", "redis")
	}
}

func checkURLHost(c *checker, p *types.Project, key string, get func(string) (string, bool), scheme, service string) {
	v, ok := get(key)
	if !ok {
		c.fail("%s: %s is not set", appService, key)
		return
	}
	u, err := url.Parse(v)
	if err != nil {
		c.fail("%s: %s is not a URL: %v", appService, key, err)
		return
	}
	if u.Scheme != scheme || u.Hostname() != service {
		c.fail("%s: %s should be %s://…@%s…, got scheme %q host %q", appService, key, scheme, service, u.Scheme, u.Hostname())
	}
	if _, ok := p.Services[service]; !ok {
		c.fail("%s: %s points at service %q, which does not exist", appService, key, service)
	}
}

func checkVolume(c *checker, p *types.Project, service, target string) {
	s, ok := p.Services[service]
	if !ok {
		return
	}
	for _, v := range s.Volumes {
		if v.Target == target {
			if v.Type != types.VolumeTypeVolume {
				c.fail("%s: %s should be a named volume, is a %s", service, target, v.Type)
			}
			return
		}
	}
	c.fail("%s: no named volume at %s (data would be lost with the container)", service, target)
}

// Dockerfile sanity check: a line-based reading of instructions (continuations joined, comments dropped).
type instr struct {
	cmd, args string
	line      int
}

func readInstructions(path string) ([]instr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []instr
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instr{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " "), start})
		cur.Reset()
	}
	return out, sc.Err()
}

// COPY . <dest>: the whole source tree.
var copyAll = regexp.MustCompile(`(^|\s)\.\s+\S+$`)

var buildCmd = regexp.MustCompile(`CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o (\S+) ./cmd/chatbot\b`)

func checkDockerfile(c *checker, path string) {
	ins, err := readInstructions(path)
	if err != nil {
		c.fail("Dockerfile: %v", err)
		return
	}
	rel := filepath.Base(path)
	var froms []instr
	for _, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in)
		}
	}
	if len(froms) < 2 {
		c.fail("%s: want a multi-stage build (build + runtime stage), found %d FROM", rel, len(froms))
		return
	}
	if f := strings.Fields(froms[0].args); !strings.HasPrefix(f[0], "golang:1.26") {
		c.fail("%s:%d: build stage should be FROM golang:1.26, got %s", rel, froms[0].line, froms[0].args)
	}
	last := froms[len(froms)-1]
	if !strings.HasPrefix(strings.Fields(last.args)[0], "gcr.io/distroless/") {
		c.fail("%s:%d: runtime stage should be a distroless image, got %s", rel, last.line, last.args)
	}

	// Build stage: go mod download before the source COPY (its own cached layer), then the build command.
	var modDownload, srcCopy, build = -1, -1, -1
	binary := ""
	for i, in := range ins {
		if in.line >= last.line {
			break
		}
		switch {
		case in.cmd == "RUN" && strings.Contains(in.args, "go mod download"):
			modDownload = i
		case in.cmd == "COPY" && srcCopy < 0 && copyAll.MatchString(in.args) && !strings.Contains(in.args, "--from"):
			srcCopy = i
		case in.cmd == "RUN" && strings.Contains(in.args, "go build"):
			build = i
			if m := buildCmd.FindStringSubmatch(in.args); m != nil {
				binary = m[1]
			} else {
				c.fail("%s:%d: build command should be `CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /chatbot ./cmd/chatbot`, got %s", rel, in.line, in.args)
			}
		}
	}
	switch {
	case modDownload < 0:
		c.fail("%s: no `RUN go mod download` layer in the build stage", rel)
	case srcCopy >= 0 && modDownload > srcCopy:
		c.fail("%s:%d: `go mod download` runs after the sources are copied: module downloads are redone on every source change", rel, ins[modDownload].line)
	}
	if build < 0 {
		c.fail("%s: no `go build` in the build stage", rel)
	}

	// Runtime stage.
	var user, expose, health, entry string
	copied := false
	for _, in := range ins {
		if in.line <= last.line {
			continue
		}
		switch in.cmd {
		case "USER":
			user = in.args
		case "EXPOSE":
			expose = in.args
		case "HEALTHCHECK":
			health = in.args
		case "ENTRYPOINT", "CMD":
			if entry == "" || in.cmd == "ENTRYPOINT" {
				entry = in.args
			}
		case "COPY":
			if binary != "" && strings.Contains(in.args, "--from") && strings.Contains(in.args, binary) {
				copied = true
			}
		}
	}
	// Distroless ":nonroot" images default to uid 65532; otherwise an explicit non-root USER is required.
	u, _, _ := strings.Cut(user, ":")
	nonrootBase := strings.Contains(strings.Fields(last.args)[0], ":nonroot")
	if u == "root" || u == "0" || (user == "" && !nonrootBase) {
		c.fail("%s: runtime stage runs as root (USER %q, base %s)", rel, user, strings.Fields(last.args)[0])
	}
	if !slices.Contains(strings.Fields(expose), "8000") && !slices.Contains(strings.Fields(expose), "8000/tcp") {
		c.fail("%s: runtime stage should EXPOSE 8000, got %q", rel, expose)
	}
	if !strings.Contains(health, "healthcheck") || !strings.Contains(health, "CMD") {
		c.fail("%s: runtime stage needs HEALTHCHECK ... CMD [\"/chatbot\", \"healthcheck\"], got %q", rel, health)
	}
	if binary != "" {
		if !copied {
			c.fail("%s: runtime stage does not COPY --from the build stage's %s", rel, binary)
		}
		if !strings.Contains(entry, binary) {
			c.fail("%s: ENTRYPOINT should run %s, got %q", rel, binary, entry)
		}
		if health != "" && !strings.Contains(health, binary) {
			c.fail("%s: HEALTHCHECK should run %s healthcheck, got %q", rel, binary, health)
		}
	}
}

// checkDockerignore: the files the image build needs must not be excluded from the context.
func checkDockerignore(c *checker, ctxDir string) {
	f, err := os.Open(filepath.Join(ctxDir, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		c.fail("no .dockerignore in the build context %s (the whole tree, .git and .env included, would be sent)", ctxDir)
		return
	}
	if err != nil {
		c.fail(".dockerignore: %v", err)
		return
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		c.fail(".dockerignore: %v", err)
		return
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		c.fail(".dockerignore: %v", err)
		return
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/chatbot/main.go", "internal/x.go", "frontend/dist/index.html", "api/openapi.yaml", "db/migrations/postgres/1.sql"} {
		if m, _ := pm.MatchesOrParentMatches(p); m {
			c.fail(".dockerignore excludes %s, which the image build needs", p)
		}
	}
	for _, p := range []string{".git/config", ".env"} {
		if m, _ := pm.MatchesOrParentMatches(p); !m {
			c.fail(".dockerignore should exclude %s", p)
		}
	}
}

func buildAndSmoke(c *checker, p *types.Project, runIt bool) {
	work, err := os.MkdirTemp("", "composecheck-")
	if err != nil {
		c.fail("%v", err)
		return
	}
	defer os.RemoveAll(work)
	start := time.Now()
	bin := buildBinary(c, p.Services[appService].Build.Context, work)
	if bin == "" {
		return
	}
	fmt.Printf("composecheck: image build replayed without Docker: OK (%s)\n", time.Since(start).Round(100*time.Millisecond))
	if runIt {
		start = time.Now()
		n := len(c.problems)
		smoke(c, bin, work)
		if len(c.problems) == n {
			fmt.Printf("composecheck: smoke run (migrate, serve on 0.0.0.0, healthcheck, SIGTERM): OK (%s)\n", time.Since(start).Round(100*time.Millisecond))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
