// Rating answers end to end in Debian's chromium, against the real server and the OpenAI fake started by
// scripts/e2e.sh (BASE_URL): the owner rates an answer with a comment in the dashboard's chat, a visitor rates an
// answer in the widget on a site of another origin (strict CSP, as widget.e2e.test.mjs hosts it), and both show in
// the project's Feedback tab, filtered by rating, and in its usage counts; a rated answer becomes an evaluation
// case. Steps after a failed one are skipped.
// Screenshots go to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8000";
const OUT = process.env.E2E_OUTPUT_DIR ?? mkdtempSync(join(tmpdir(), "chatbot-e2e-out-"));
const PASSWORD = "Sturdy-pass-42";
const TIMEOUT = 15_000;
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const CSP = `default-src 'none'; script-src ${BASE}; connect-src ${BASE}; style-src 'self'; img-src 'self'`;

let profile;
let context;
let page;
let failed = false;
let user; // { token, call }
let projectId;
let key; // the publishable key
let site; // http://127.0.0.1:P, allowed by the key
let server;
const problems = []; // console errors, uncaught exceptions

function step(name, fn) {
  it(name, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await fn();
    } catch (err) {
      failed = true;
      await page?.screenshot({ path: join(OUT, `feedback-failure-${name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
      throw err;
    }
  });
}

const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`) });

/** A fresh account, signed in on the page with the session cookie; its token also serves the test's own calls. */
async function signUp() {
  const email = `feedback-e2e-${Date.now()}@example.com`;
  const body = JSON.stringify({ email, password: PASSWORD });
  const reg = await fetch(`${BASE}/users/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  assert.equal(reg.status, 200, await reg.text());
  await page.goto(`${BASE}/?reason=signed-out`);
  const status = await page.evaluate(
    async (b) => (await fetch("/users/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: b })).status,
    body,
  );
  assert.equal(status, 200);
  const token = (await context.cookies(BASE)).find((c) => c.name === "session")?.value;
  assert.ok(token, "the session cookie is set");
  const call = async (method, path, json) => {
    const res = await fetch(BASE + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return { token, call };
}

/** A page on another origin embedding the widget with the publishable key, under a strict CSP. */
function startSite() {
  server = createServer((req, res) => {
    if (req.url !== "/") {
      res.writeHead(req.url === "/favicon.ico" ? 204 : 404, { "Content-Security-Policy": CSP }).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store" });
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop</title></head>
<body><h1>Welcome to the shop</h1>
<script src="${BASE}/widget.js" data-key="${key}" data-title="Support" async></script>
</body></html>`);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

const feedbackList = () => page.locator(".feedback-list .feedback-item");

before(async () => {
  profile = mkdtempSync(join(tmpdir(), "chatbot-feedback-e2e-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(TIMEOUT);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

describe("feedback", () => {
  step("rate an answer with a comment in the dashboard's chat", async () => {
    user = await signUp();
    projectId = (await user.call("POST", "/projects", { name: "Rated bot" })).id;
    await page.goto(`${BASE}/chat?project=${projectId}`);
    const composer = page.getByLabel("Message", { exact: true });
    await composer.fill("How do refunds work?");
    await composer.press("Enter");
    const answer = page.locator(".message.assistant.state-done", { hasText: "Echo: How do refunds work?" });
    await answer.waitFor();
    const bad = answer.getByRole("button", { name: "Bad answer" });
    assert.equal(await bad.getAttribute("aria-pressed"), "false");
    await bad.click();
    await answer.locator('[aria-label="Bad answer"][aria-pressed="true"]').waitFor();
    assert.equal(await answer.getByRole("button", { name: "Good answer" }).getAttribute("aria-pressed"), "false");
    await answer.getByRole("button", { name: "Add a comment" }).click();
    await answer.getByLabel("Comment on this answer").fill("It only repeats the question");
    await answer.getByRole("button", { name: "Save" }).click();
    await answer.getByText("“It only repeats the question”").waitFor();
    await shot("feedback-chat");

    // Reopened, the conversation shows the stored rating.
    await page.reload();
    const again = page.locator(".message.assistant", { hasText: "Echo: How do refunds work?" });
    await again.locator('[aria-label="Bad answer"][aria-pressed="true"]').waitFor();
  });

  step("a visitor rates an answer in the widget on another site", async () => {
    site = await startSite(); // its page is rendered only once the key exists
    key = (await user.call("POST", `/projects/${projectId}/keys`, { name: "site", kind: "publishable", allowed_origins: [site] })).key;

    await page.goto(site);
    await page.getByRole("button", { name: "Chat: Support" }).click();
    const dialog = page.getByRole("dialog", { name: "Support" });
    await dialog.getByLabel("Message", { exact: true }).fill("Do you ship abroad?");
    await dialog.getByLabel("Message", { exact: true }).press("Enter");
    const reply = dialog.locator(".msg.bot", { hasText: "Echo: Do you ship abroad?" });
    await reply.waitFor();
    const good = reply.getByRole("button", { name: "Good answer" });
    await good.waitFor();
    assert.equal(await good.getAttribute("aria-pressed"), "false");
    await good.click();
    await reply.locator('[aria-label="Good answer"][aria-pressed="true"]').waitFor();
    assert.equal(await reply.getByRole("button", { name: "Bad answer" }).getAttribute("aria-pressed"), "false");
    await shot("feedback-widget");
  });

  step("both ratings show in the project's Feedback tab, filtered by rating", async () => {
    await page.goto(`${BASE}/dashboard?project=${projectId}&tab=feedback`);
    await page.getByRole("heading", { name: "Feedback", exact: true }).waitFor();
    await feedbackList().nth(1).waitFor();
    assert.equal(await feedbackList().count(), 2);
    const first = feedbackList().nth(0);
    assert.equal(await first.locator(".feedback-question").textContent(), "Question: Do you ship abroad?");
    assert.equal(await first.locator(".feedback-answer").textContent(), "Answer: Echo: Do you ship abroad?");
    await first.getByRole("img", { name: "Rated up" }).waitFor();
    await first.getByText("anonymous visitor", { exact: false }).waitFor();
    const second = feedbackList().nth(1);
    assert.equal(await second.locator(".feedback-question").textContent(), "Question: How do refunds work?");
    await second.getByRole("img", { name: "Rated down" }).waitFor();
    await second.getByText("“It only repeats the question”").waitFor();
    await second.getByText("Draft").waitFor();

    const down = page.getByRole("group", { name: "Show ratings" }).getByRole("button", { name: "Down" });
    await down.click();
    await page.waitForFunction(() => document.querySelectorAll(".feedback-list .feedback-item").length === 1);
    assert.equal(await feedbackList().first().locator(".feedback-question").textContent(), "Question: How do refunds work?");
    assert.equal(await down.getAttribute("aria-pressed"), "true");
    await shot("feedback-list");

    await page.getByRole("tab", { name: "Usage" }).click();
    const counts = page.getByRole("table", { name: "Ratings by release" });
    await counts.getByRole("row", { name: /Draft\s+1\s+1\s+50 %/ }).waitFor();
    assert.deepEqual(problems, []);
  });

  step("the down-rated answer becomes a test case, which fails on the draft as the rating said", async () => {
    await page.goto(`${BASE}/dashboard?project=${projectId}&tab=feedback`);
    const item = feedbackList().filter({ hasText: "How do refunds work?" });
    await item.getByRole("button", { name: "Make a test case" }).click();
    const form = item.getByRole("form", { name: "New test case from this answer" });
    await form.getByLabel("A good answer contains (one per line)").fill("30 days");
    await form.getByRole("button", { name: "Add test case" }).click();
    await item.getByRole("status").getByText("added: it runs with the others on the Evaluations tab").waitFor();
    await shot("feedback-make-case");

    await page.getByRole("tab", { name: "Evaluations" }).click();
    await page.locator(".eval-case", { hasText: "How do refunds work?" }).getByText('contains "30 days"').waitFor();
    await page.getByRole("button", { name: "Run on draft" }).click();
    const result = page.locator(".eval-result", { hasText: "How do refunds work?" });
    await result.locator(".badge", { hasText: "failed" }).waitFor();
    assert.deepEqual(problems, []);
  });
});
