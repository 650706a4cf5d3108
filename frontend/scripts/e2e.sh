#!/usr/bin/env bash
# Browser end-to-end test of the dashboard against the real server:
#   builds ./cmd/chatbot and ./cmd/fakeopenai, starts the OpenAI fake and the server (fresh SQLite database,
#   free loopback ports), waits for GET /health, runs scripts/e2e.test.mjs (the dashboard), scripts/chat.e2e.test.mjs
#   (the chat experience, one fresh user per test), scripts/widget.e2e.test.mjs (the embeddable widget on two other-origin sites),
#   scripts/account.e2e.test.mjs (account recovery), scripts/webhooks.e2e.test.mjs (the Webhooks section) and
#   scripts/<suite>.e2e.test.mjs for the suites below (releases: publish, roll back, which state answers; feedback:
#   rating answers in the chat and the widget; bundle: templates, export, import; evals: the Evaluations tab) in
#   Debian's chromium through playwright-core, and always stops both processes.
#
# Usage (from anywhere): [E2E_SUITES="account chat"] frontend/scripts/e2e.sh [--screenshots]
#   --screenshots   also copy the pages' screenshots to docs/screenshots/
#   E2E_SUITES      run only these suites (dashboard, chat, widget, account, webhooks, releases, feedback, bundle, evals); default: all
# Screenshots and server logs go to $E2E_OUTPUT_DIR (default: a new temporary folder, printed at the end).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
frontend="$(dirname "$here")"
repo="$(dirname "$frontend")"

copy_screenshots=0
for arg in "$@"; do
  case "$arg" in
    --screenshots) copy_screenshots=1 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "e2e: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
t_all=$(now)

# Debian's chromium, never a browser download (playwright's own install cannot work offline).
if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing chromium from Debian"
  apt_install() { apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends chromium; }
  apt_install || { apt-get update && apt_install; }
fi
if [ ! -d "$frontend/node_modules/playwright-core" ]; then
  npm --prefix "$frontend" ci --no-audit --no-fund
fi

work="$(mktemp -d -t chatbot-e2e.XXXXXX)"
out="${E2E_OUTPUT_DIR:-$work/output}"
mkdir -p "$out" "$work/bin" "$work/db"

pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work/bin" "$work/db"
  if [ "$status" -ne 0 ]; then
    echo "e2e: FAILED (exit $status). Logs and screenshots: $out" >&2
    for log in "$out"/server.log "$out"/fakeopenai.log "$out"/fakesmtp.log; do
      [ -s "$log" ] && { echo "--- last lines of $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

t=$(now)
# Same flags as the Makefile's build, so both share Go's build cache.
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$work/bin/" ./cmd/chatbot ./cmd/fakeopenai ./cmd/fakesmtp)
echo "e2e: built server and fakes in $(since "$t")"

t=$(now)
fake_port=$(free_port)
"$work/bin/fakeopenai" -addr "127.0.0.1:$fake_port" >"$out/fakeopenai.log" 2>&1 &
pids+=($!)

# Mail goes over real SMTP to the in-repo capture server, which lists it at $mail_url/messages.
smtp_port=$(free_port)
mail_port=$(free_port)
mail_url="http://127.0.0.1:$mail_port"
"$work/bin/fakesmtp" -smtp "127.0.0.1:$smtp_port" -http "127.0.0.1:$mail_port" >"$out/fakesmtp.log" 2>&1 &
pids+=($!)

port=$(free_port)
base="http://127.0.0.1:$port"
secret="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"
env ADDR="127.0.0.1:$port" \
  DATABASE_URL="sqlite:///$work/db/app.db" \
  SECRET_KEY="$secret" \
  OPENAI_API_KEY=test \
  OPENAI_BASE_URL="http://127.0.0.1:$fake_port/v1" \
  LOG_FILE= \
  RATE_LIMIT_AUTH=0 \
  RATE_LIMIT_API=0 \
  RATE_LIMIT_EMAIL=0 \
  SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  MAIL_FROM="Chatbot <no-reply@example.com>" \
  PUBLIC_URL="$base" \
  WEBHOOK_ALLOW_PRIVATE=true \
  "$work/bin/chatbot" >"$out/server.log" 2>&1 &
pids+=($!)

status_of() { node -e 'fetch(process.argv[1]).then((r) => console.log(r.status), () => console.log(0))' "$1"; }
for _ in $(seq 1 120); do
  [ "$(status_of "$base/health")" = 200 ] && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "e2e: a process exited early" >&2; exit 1; }; done
  sleep 0.25
done
[ "$(status_of "$base/health")" = 200 ] || { echo "e2e: $base/health never answered 200" >&2; exit 1; }
if [ "$(status_of "$base/")" != 200 ]; then
  echo "e2e: GET / is not served: cmd/chatbot must register the pages (var pages = web.Register)" >&2
  exit 1
fi
echo "e2e: server and fake ready in $(since "$t") at $base"

# E2E_SUITES picks suites (default: all, in this order); suite S runs scripts/S.e2e.test.mjs, "dashboard" scripts/e2e.test.mjs.
# (WEBHOOK_ALLOW_PRIVATE above lets the webhooks suite point a webhook at its own receiver on 127.0.0.1.)
for suite in ${E2E_SUITES:-dashboard chat widget account webhooks releases feedback bundle evals}; do
  case "$suite" in
    dashboard) file=scripts/e2e.test.mjs ;;
    *) file="scripts/$suite.e2e.test.mjs"; [ -f "$frontend/$file" ] || { echo "e2e: unknown suite $suite" >&2; exit 2; } ;;
  esac
  t=$(now)
  (cd "$frontend" && BASE_URL="$base" MAIL_URL="$mail_url" E2E_OUTPUT_DIR="$out" node --test --test-reporter=spec --test-concurrency=1 "$file")
  echo "e2e: $suite browser tests passed in $(since "$t")"
done

if [ "$copy_screenshots" = 1 ]; then
  mkdir -p "$repo/docs/screenshots"
  for name in login dashboard dashboard-mobile dashboard-empty dashboard-try chat chat-mobile chat-dark chat-mobile-dark \
    chat-drawer chat-citations docs redoc; do
    cp "$out/$name.png" "$repo/docs/screenshots/$name.png"
  done
  echo "e2e: screenshots copied to docs/screenshots/"
fi
echo "e2e: all done in $(since "$t_all"); screenshots and logs: $out"
