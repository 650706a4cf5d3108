// Releases end to end in Debian's chromium, against the real server started by scripts/e2e.sh (BASE_URL) and
// its OpenAI fake, which answers the message "!system" with the system prompt it was sent: edit a prompt, create
// releases from the Publish tab, see a key get the published release while the owner's chat gets the draft (and
// the published one through the Draft/Published switch), view a release's diff, roll back after a confirm, and
// see each reply's release in the conversation view. Located by role and accessible name; axe finds no serious
// problem. Screenshots go to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8000";
const OUT = process.env.E2E_OUTPUT_DIR ?? mkdtempSync(join(tmpdir(), "chatbot-e2e-out-"));
const PASSWORD = "Sturdy-pass-42";
const TIMEOUT = 15_000;

// Exactly the flags of STACK-NOTES.md: no sandbox (root in a container), nothing that phones home.
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

let profile;
let context;
let page;
let failed = false;
let user; // { call } of the signed-up owner
let projectId;
let promptId;
let key; // a secret key of the project: what a customer's server uses
let keyConversation; // the conversation the key's messages went to
const problems = []; // console errors, uncaught exceptions, requests leaving the server

/** A step of the story: skipped once an earlier one failed. */
function step(name, fn) {
  it(name, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await fn();
    } catch (err) {
      failed = true;
      await page?.screenshot({ path: join(OUT, `releases-failure-${name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
      throw err;
    }
  });
}

/** A fresh account made through the API, signed in on the page with the session cookie (as its sign-in does). */
async function signUp() {
  const email = `releases-e2e-${Date.now()}@example.com`;
  const body = JSON.stringify({ email, password: PASSWORD });
  const headers = { "Content-Type": "application/json" };
  const reg = await fetch(`${BASE}/users/register`, { method: "POST", headers, body });
  assert.equal(reg.status, 200, await reg.text());
  await page.goto(`${BASE}/?reason=signed-out`);
  const status = await page.evaluate(
    async (b) => (await fetch("/users/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: b })).status,
    body,
  );
  assert.equal(status, 200);
  const token = (await context.cookies(BASE)).find((c) => c.name === "session")?.value;
  assert.ok(token, "the session cookie is set");
  return { call: (method, path, json) => request(token, method, path, json) };
}

async function request(token, method, path, json) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Asks the bot through the secret key, as a customer's server does, what its instructions are. */
async function askThroughKey() {
  const body = { message: "!system", ...(keyConversation ? { conversation_id: keyConversation } : {}) };
  const reply = await request(key, "POST", "/chat", body);
  keyConversation = reply.conversation_id;
  return reply;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The serious and critical axe findings of the page as it stands, plus a missing or repeated h1. */
async function accessibilityProblems() {
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity),
  );
  await page.evaluate(`${AXE}\n;0`);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  const found = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "page-has-heading-one")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  const h1 = await page.getByRole("heading", { level: 1 }).count();
  if (h1 !== 1) found.push(`${h1} h1 elements`);
  return found;
}

const section = () => page.locator("section", { has: page.getByRole("heading", { name: "Releases", exact: true }) });
const row = (n) => section().locator(`tr[data-release="${n}"]`);
const setPrompt = (content) => user.call("PUT", `/projects/prompts/${promptId}`, { name: "tone", content });

/** Sends "!system" in the chat page and returns the reply's text and its release tag. */
async function askInChat() {
  const before = await page.locator(".message.assistant.state-done").count();
  await page.getByLabel("Message", { exact: true }).fill("!system");
  await page.getByLabel("Message", { exact: true }).press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll(".message.assistant.state-done").length > n, before);
  const reply = page.locator(".message.assistant.state-done").last();
  await reply.locator(".message-release").waitFor();
  return { text: (await reply.locator(".message-body").first().textContent())?.trim(), tag: await reply.locator(".message-release").textContent() };
}

before(async () => {
  profile = mkdtempSync(join(tmpdir(), "chatbot-e2e-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(TIMEOUT);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:") && !url.startsWith("blob:")) problems.push(`external request: ${url}`);
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe("releases in the dashboard", () => {
  step("a new project has no release: its key gets the draft", async () => {
    user = await signUp();
    projectId = (await user.call("POST", "/projects", { name: "Release bot" })).id;
    promptId = (await user.call("POST", `/projects/${projectId}/prompts`, { name: "tone", content: "You are v1." })).id;
    key = (await user.call("POST", `/projects/${projectId}/keys`, { name: "server", kind: "secret" })).key;
    const reply = await askThroughKey();
    assert.equal(reply.reply, "System: You are v1.");
    assert.equal(reply.release, null);

    await page.goto(`${BASE}/dashboard?project=${projectId}&tab=publish`);
    await section().getByText("No release yet: everyone gets the draft.", { exact: false }).waitFor();
  });

  step("create a release with a note: it is published, and the key answers with it", async () => {
    await section().getByLabel("Note").fill("First words");
    await section().getByRole("button", { name: "Create release" }).click();
    await row(1).getByText("published").waitFor();
    assert.match((await row(1).textContent()) ?? "", /Release 1.*First words/);
    assert.equal((await askThroughKey()).release, 1);
  });

  step("edit the prompt and release again; the older release offers a roll back", async () => {
    await setPrompt("You are v2.");
    await section().getByLabel("Note").fill("Second words");
    await section().getByRole("button", { name: "Create release" }).click();
    await row(2).getByText("published").waitFor();
    await row(1).getByRole("button", { name: "Roll back" }).waitFor();
    assert.equal(await row(1).getByText("published").count(), 0);
    const reply = await askThroughKey();
    assert.equal(reply.reply, "System: You are v2.");
    assert.equal(reply.release, 2);
  });

  step("view release 1: its prompt, and what publishing it would change", async () => {
    await row(1).getByRole("button", { name: "View" }).click();
    const view = section().getByLabel("Release 1");
    await view.getByRole("heading", { name: "Changes from the published release 2" }).waitFor();
    const diff = (await view.locator(".release-diff").textContent()) ?? "";
    assert.match(diff, /-You are v2\./);
    assert.match(diff, /\+You are v1\./);
    assert.equal((await view.locator(".release-prompt").textContent())?.trim(), "You are v1.");
    await page.screenshot({ path: join(OUT, "releases.png"), fullPage: true });
    assert.deepEqual(await accessibilityProblems(), []);
  });

  step("the owner's chat answers with the draft, and with the published release through the switch", async () => {
    await setPrompt("Draft v3.");
    await page.goto(`${BASE}/chat?project=${projectId}`);
    const draft = await askInChat();
    assert.equal(draft.text, "System: Draft v3.");
    assert.equal(draft.tag, "draft");
    await page.getByRole("radio", { name: "Published" }).check();
    const published = await askInChat();
    assert.equal(published.text, "System: You are v2.");
    assert.equal(published.tag, "release 2");
    assert.equal((await askThroughKey()).reply, "System: You are v2.", "the draft's edit reached no key");
  });

  step("roll back to release 1 after a confirm: the key's next answer is release 1's", async () => {
    await page.goto(`${BASE}/dashboard?project=${projectId}&tab=publish`);
    await row(1).getByRole("button", { name: "Roll back" }).click();
    const dialog = page.getByRole("dialog", { name: "Roll back to release 1?" });
    await dialog.getByText("Keys pinned to a release keep theirs.", { exact: false }).waitFor();
    await dialog.getByRole("button", { name: "Roll back" }).click();
    await row(1).getByText("published").waitFor();
    await row(2).getByRole("button", { name: "Publish" }).waitFor();
    const reply = await askThroughKey();
    assert.equal(reply.reply, "System: You are v1.");
    assert.equal(reply.release, 1);
  });

  step("the conversation view shows the release of each reply", async () => {
    await page.goto(`${BASE}/chat?project=${projectId}&conversation=${keyConversation}`);
    await page.waitForFunction(() => document.querySelectorAll(".message.assistant .message-release").length >= 5);
    const tags = await page.locator(".message.assistant .message-release").allTextContents();
    assert.deepEqual(tags, ["draft", "release 1", "release 2", "release 2", "release 1"]);
    await page.screenshot({ path: join(OUT, "releases-conversation.png") });
    assert.deepEqual(await accessibilityProblems(), []);
    assert.deepEqual(problems, []);
  });
});
