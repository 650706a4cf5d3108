# The chatbot platform. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export GOTOOLCHAIN := local
GOFLAGS_BUILD := -trimpath -ldflags="-s -w"
SQLC := go tool -modfile=tools/sqlc/go.mod sqlc
STATICCHECK := go tool -modfile=tools/staticcheck/go.mod staticcheck
PG_LOCAL := postgres://postgres@127.0.0.1:5432/test?sslmode=disable
REDIS_LOCAL := redis://127.0.0.1:6379/15

.PHONY: help run build test test-go test-frontend e2e test-scale generate check lint migrate-new fakeopenai bench

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: build ## run the server with its dashboard on SQLite (./app.db): http://127.0.0.1:8000
	./bin/chatbot

fakeopenai: ## run the in-repo OpenAI fake on 127.0.0.1:8090 (OPENAI_BASE_URL=http://127.0.0.1:8090/v1)
	go run ./cmd/fakeopenai

build: ## build bin/chatbot and bin/fakeopenai (static, no Node needed: the dashboard is committed)
	CGO_ENABLED=0 go build $(GOFLAGS_BUILD) -o bin/chatbot ./cmd/chatbot
	CGO_ENABLED=0 go build $(GOFLAGS_BUILD) -o bin/fakeopenai ./cmd/fakeopenai

test: test-go test-frontend e2e ## run every test: Go (SQLite, and PostgreSQL/Redis when reachable), frontend unit, browser end-to-end
	@echo "make test: all suites passed"

# PostgreSQL and Redis tests run when TEST_DATABASE_URL / TEST_REDIS_URL are set, or when the local
# servers answer; otherwise they are skipped and said so. CI sets both and fails if they are missing.
test-go: ## Go tests, with the race detector
	@pg="$${TEST_DATABASE_URL:-}"; rd="$${TEST_REDIS_URL:-}"; \
	if [ -z "$$pg" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 -t 2; then pg="$(PG_LOCAL)"; fi; \
	if [ -z "$$rd" ] && command -v redis-cli >/dev/null && [ "$$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then rd="$(REDIS_LOCAL)"; fi; \
	[ -n "$$pg" ] || echo "NOTE: PostgreSQL tests SKIPPED (no TEST_DATABASE_URL and nothing on 127.0.0.1:5432); SQLite tests run"; \
	[ -n "$$rd" ] || echo "NOTE: Redis tests SKIPPED (no TEST_REDIS_URL and nothing on 127.0.0.1:6379)"; \
	TEST_DATABASE_URL="$$pg" TEST_REDIS_URL="$$rd" go test -race -count=1 -timeout 25m ./...
	cd api/client && go test -count=1 ./...

# Two instances of bin/chatbot on a throwaway PostgreSQL database and Redis db 14, behind Debian's HAProxy
# (installed when missing), with the OpenAI fake: internal/scale. go test ./... skips it (no SCALE_TEST).
test-scale: build ## scale-out test: two instances behind HAProxy on one PostgreSQL and Redis (README "Scaling out")
	@command -v haproxy >/dev/null || apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends haproxy \
		|| { apt-get -o DPkg::Lock::Timeout=300 update && apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends haproxy; }
	SCALE_TEST=1 CHATBOT_BIN=$(CURDIR)/bin/chatbot go test -count=1 -timeout 5m -v -run TestScaleOut ./internal/scale/

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	npm --prefix frontend ci --no-audit --no-fund

test-frontend: frontend/node_modules/.package-lock.json ## frontend unit tests (Vitest)
	npm --prefix frontend test

e2e: frontend/node_modules/.package-lock.json ## browser tests: Debian's chromium (installed when missing) against the real server and the OpenAI fake
	npm --prefix frontend run e2e

generate: frontend/node_modules/.package-lock.json ## regenerate everything generated: Go server and client, sqlc, TS SDK, dashboard build
	go tool oapi-codegen -config oapi-codegen.yaml api/openapi.yaml
	go tool oapi-codegen -config api/client/oapi-codegen.yaml api/openapi.yaml
	$(SQLC) generate
	@# The PostgreSQL adapter's methods are the SQLite ones over its own sqlcgen package (same shapes).
	{ echo '// Code generated from internal/store/sqlite/methods.go by make generate. DO NOT EDIT.'; echo; \
	  sed -e 's/^package sqlite$$/package postgres/' -e 's#internal/store/sqlite/sqlcgen#internal/store/postgres/sqlcgen#' \
	      -e 's/"sqlite: /"postgres: /' internal/store/sqlite/methods.go; } > internal/store/postgres/methods.gen.go
	npm --prefix frontend run generate
	npm --prefix frontend run build

check: generate lint ## generate, then fail on any difference from what is committed; lint; validate docker-compose.yml
	@diff <(ls db/migrations/postgres) <(ls db/migrations/sqlite) || { echo "migration folders differ: every version needs both dialects"; exit 1; }
	$(SQLC) vet
	@git diff --exit-code --stat -- . || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard); [ -z "$$untracked" ] || { echo "untracked generated files: $$untracked"; exit 1; }
	cd tools/composecheck && go run . -f ../../docker-compose.yml -build

# Redocly CLI (pinned in frontend/package.json) with redocly.yaml; offline: no telemetry, no update check.
REDOCLY := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true frontend/node_modules/.bin/redocly

lint: frontend/node_modules/.package-lock.json ## gofmt, go vet, staticcheck, Redocly on api/openapi.yaml
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed: $$out"; exit 1; }
	go vet ./...
	$(STATICCHECK) ./...
	@# The Go client is its own module: lint it there, and keep the server's dependencies out of it.
	cd api/client && go vet ./... && go tool -modfile=../../tools/staticcheck/go.mod staticcheck ./...
	@deps=$$(cd api/client && go list -deps ./... | grep -E 'labstack|jackc|redis|sqlite|chatbot/internal' || true); \
	[ -z "$$deps" ] || { echo "api/client imports server dependencies: $$deps"; exit 1; }
	$(REDOCLY) lint --config redocly.yaml api/openapi.yaml

migrate-new: ## create a migration in both dialects: make migrate-new NAME=add_things
	@[ -n "$(NAME)" ] || { echo "usage: make migrate-new NAME=add_things"; exit 1; }
	@n=$$(printf '%05d' $$(( $$(ls db/migrations/postgres | sed 's/_.*//' | sort -n | tail -1 | sed 's/^0*//') + 1 ))); \
	for d in postgres sqlite; do printf -- '-- +goose Up\n\n-- +goose Down\n' > db/migrations/$$d/$${n}_$(NAME).sql; echo "db/migrations/$$d/$${n}_$(NAME).sql"; done

bench: ## load benchmarks (docs/benchmarks.md): authenticated reads, chat vs direct upstream, streams, start-up and memory
	@command -v wrk >/dev/null || apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends wrk \
		|| { apt-get -o DPkg::Lock::Timeout=300 update && apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends wrk; }
	@# wrk (a separate process) drives these; PostgreSQL runs when TEST_DATABASE_URL is set or the local server answers.
	@pg="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$pg" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 -t 2; then pg="$(PG_LOCAL)"; fi; \
	TEST_DATABASE_URL="$$pg" go test -run '^$$' -bench 'Wrk' -benchtime 1x -count 3 ./internal/bench/
	go test -run '^$$' -bench '^BenchmarkListProjects$$' -benchtime 30000x -count 3 ./internal/bench/
	go test -run '^$$' -bench 'Chat.*/clients=1$$' -benchtime 200x ./internal/bench/
	go test -run '^$$' -bench 'Chat.*/clients=256' -benchtime 5000x -count 3 ./internal/bench/
	go test -run '^$$' -bench 'ChatCredential|ChatBudget' -benchtime 5000x -count 3 ./internal/bench/
	go test -run '^$$' -bench 'Startup|ConcurrentStreams' -benchtime 3x ./internal/bench/
