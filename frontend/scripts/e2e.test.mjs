// The dashboard end to end in Debian's chromium, against the real server and the OpenAI fake started by
// scripts/e2e.sh (BASE_URL). One user's story, step by step; a step after a failed one is skipped, so the
// report names the first thing that broke. Screenshots go to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8000";
const OUT = process.env.E2E_OUTPUT_DIR ?? mkdtempSync(join(tmpdir(), "chatbot-e2e-out-"));
const EMAIL = `e2e-${Date.now()}@example.com`;
const PASSWORD = "Sturdy-pass-42";
const XSS = "<img src=x onerror=alert(1)>";
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
let projectId;
let failed = false;
let secretKey; // the full keys, known to the test from the page's one-time box
let publishableKey;
let identitySecret;
const dialogs = [];
const problems = []; // console errors, CSP violations, uncaught exceptions, requests leaving the server
const seenHeaders = new Map();

/** A step of the story: skipped once an earlier one failed. A side check (`blocking: false`) may fail alone. */
function step(name, fn, { blocking = true } = {}) {
  it(name, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await fn();
    } catch (err) {
      if (blocking) failed = true;
      await page?.screenshot({ path: join(OUT, `failure-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
      throw err;
    }
  });
}

const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
const composed = () => page.locator("#composed-prompt").textContent();
/** The session cookie's token: httpOnly, so only the browser (and this test, through Playwright) sees it. */
const token = async () => (await page.context().cookies(BASE)).find((c) => c.name === "session")?.value ?? null;
const storedText = () => page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
const secretBox = () => page.locator(".secret-box");
const createForm = () => page.getByRole("form", { name: "Create a key" });
const keyRow = (name) => page.locator(".key-row", { has: page.locator(".key-name", { hasText: name }) });

/** A request to the API from Node with the signed-in user's token, to compare the page with the API. */
const asUser = async (method, path, body) =>
  fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${await token()}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

// The page's formats (app/src/lib/format.ts), to compare its figures with the API's.
const count = (n) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
const usd = (n) =>
  n === 0
    ? "$0.00"
    : n.toLocaleString("en-US", { style: "currency", currency: "USD", ...(Math.abs(n) < 0.01 ? { maximumSignificantDigits: 2 } : {}) });
const csp = () => problems.filter((p) => /Content Security Policy|Refused to/i.test(p));

/** A request to the API from Node with a project key, as a site's server would make it. */
const withKey = (key, method, path, body) =>
  fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

before(async () => {
  profile = mkdtempSync(join(tmpdir(), "chatbot-e2e-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(TIMEOUT);
  // The Publish panel's Copy buttons write to the clipboard; the test reads it back.
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    // A 4xx the test provokes on purpose (wrong password, bad token) is logged by Chrome as a failed load.
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of (4\d\d|503)/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:") && !url.startsWith("blob:")) problems.push(`external request: ${url}`);
  });
  page.on("response", (r) => {
    const path = new URL(r.url()).pathname;
    if (r.request().resourceType() === "document") seenHeaders.set(path, r.headers());
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  console.log(`screenshots: ${OUT}`);
});

describe("dashboard end to end", () => {
  step("sign-in page loads with strict security headers", async () => {
    const res = await page.goto(`${BASE}/`);
    assert.equal(res?.status(), 200);
    const h = res.headers();
    assert.match(h["content-security-policy"], /default-src 'self'/);
    assert.match(h["content-security-policy"], /frame-ancestors 'none'/);
    assert.doesNotMatch(h["content-security-policy"], /unsafe-(inline|eval)/);
    assert.equal(h["x-content-type-options"], "nosniff");
    assert.equal(h["cache-control"], "no-cache");
    await page.getByRole("heading", { name: "Welcome back" }).waitFor();
    await shot("login");
  });

  step("registration shows the password rules and the server's errors", async () => {
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByRole("list", { name: "Password rules" }).getByText("8 to 128 characters").waitFor();
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("alert").getByText("does not meet the rules").waitFor();

    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    // Registered is signed in: the empty dashboard offers to create the first chatbot.
    await page.waitForURL(`${BASE}/dashboard**`);
    await page.getByRole("button", { name: "Create your first chatbot" }).waitFor();
    assert.ok(await token(), "the new account is signed in");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${BASE}/`);

    // The same email again: the server refuses, and its detail is shown as is.
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.ok(((await alert.textContent()) ?? "").trim().length > 0);
  });

  step("log in (a wrong password shows the server's detail)", async () => {
    await page.getByRole("button", { name: "Log in" }).first().click();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("Wrong-pass-1");
    await page.locator("form").getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").waitFor();
    assert.equal(new URL(page.url()).pathname, "/");

    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.locator("form").getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${BASE}/dashboard**`);
    assert.ok(await token(), "the session cookie is set");
    assert.ok(!(await page.evaluate(() => document.cookie)).includes("session="), "no page script can read the session");
    assert.equal(await page.evaluate(() => localStorage.getItem("token")), null, "no token in localStorage");
    await page.getByText(EMAIL).waitFor();
  });

  step("create and rename a project", async () => {
    await page.getByLabel("New project name").fill("E2E Bot");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "E2E Bot" }).waitFor();
    projectId = Number(new URL(page.url()).searchParams.get("project"));
    assert.ok(projectId > 0);

    await page.getByRole("button", { name: "Rename" }).click();
    await page.getByLabel("Project name", { exact: true }).fill("E2E Support Bot");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "E2E Support Bot" }).waitFor();
  });

  step("add two prompts, reorder them, and see the composed system prompt follow", async () => {
    const add = async (name, content) => {
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByLabel("Content", { exact: true }).fill(content);
      await page.getByRole("button", { name: "Add prompt" }).click();
      await page.locator(".prompt-name", { hasText: name }).waitFor();
    };
    await add("Tone", "Be concise.");
    await add(XSS, "Answer in English.");
    assert.equal(await composed(), "Be concise.\nAnswer in English.");

    await page.getByRole("button", { name: `Move up: ${XSS}` }).click();
    await page.waitForFunction(() => document.querySelector("#composed-prompt")?.textContent === "Answer in English.\nBe concise.");
    await page.getByRole("button", { name: `Move up: ${XSS}` }).and(page.locator(":disabled")).waitFor();

    // The order is the server's, not just the page's.
    await page.reload();
    await page.locator("#composed-prompt", { hasText: "Answer in English." }).waitFor();
    assert.equal(await composed(), "Answer in English.\nBe concise.");
    assert.deepEqual(await page.locator(".prompt-name").allTextContents(), [XSS, "Tone"]);

    // Disabled prompts leave the system prompt.
    await page.getByRole("checkbox", { name: /Enabled.*Tone/ }).uncheck();
    await page.waitForFunction(() => document.querySelector("#composed-prompt")?.textContent === "Answer in English.");
    await page.getByRole("checkbox", { name: /Enabled.*Tone/ }).check();
    await page.waitForFunction(() => document.querySelector("#composed-prompt")?.textContent === "Answer in English.\nBe concise.");
  });

  step("a prompt named like an HTML payload stays inert text", async () => {
    assert.equal(await page.locator(".prompt-name", { hasText: XSS }).textContent(), XSS);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.deepEqual(dialogs, []);
  });

  step("change the chat settings", async () => {
    await page.getByLabel("Max output tokens").fill("512");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Settings saved.").waitFor();
    await page.reload();
    assert.equal(await page.getByLabel("Max output tokens").inputValue(), "512");
  });

  step("upload a small text file and watch it get indexed", async () => {
    const content = Buffer.from("The support line is open 9 to 5.\nSecond line.\n");
    await page.getByLabel("File to upload").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: content });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const row = page.locator(".file-row", { hasText: "notes.txt" });
    await row.waitFor();
    await row.getByText(`${content.length} B`, { exact: true }).waitFor();
    await row.locator(".badge").waitFor();
    // The fake indexes a file in about 2 s; the panel polls until then.
    await row.getByText("Indexed").waitFor({ timeout: 30_000 });
    await shot("dashboard");
  });

  step("chat: the reply streams in", async () => {
    await page.getByRole("link", { name: "Chat", exact: true }).click();
    await page.waitForURL(`${BASE}/chat**`);
    assert.equal(await page.getByLabel("Project", { exact: true }).locator("option:checked").textContent(), "E2E Support Bot");

    // Record every rendering of the reply, to prove it arrived in pieces rather than all at once.
    await page.evaluate(() => {
      window.__renders = [];
      new MutationObserver(() => {
        const m = [...document.querySelectorAll(".message.assistant")].at(-1);
        if (m) window.__renders.push({ streaming: m.classList.contains("state-streaming"), text: m.textContent });
      }).observe(document.querySelector(".messages"), { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.getByLabel("Message", { exact: true }).fill("Hello from the browser test, please say this back to me word by word");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    await page.getByRole("button", { name: "Stop" }).waitFor();
    const reply = page.locator(".message.assistant").last();
    await reply.and(page.locator(".state-done")).waitFor();
    await page.getByRole("button", { name: "Send" }).waitFor();
    const text = (await reply.locator(".markdown").textContent()) ?? "";
    const renders = await page.evaluate(() => window.__renders);
    const partial = new Set(renders.filter((r) => r.streaming && r.text.length > "Assistant".length).map((r) => r.text));
    assert.ok(partial.size >= 3, `the reply grew in at least 3 steps while streaming (saw ${partial.size})`);
    assert.match(text, /Echo: Hello from the browser test/);
    assert.ok(new URL(page.url()).searchParams.get("conversation"), "the conversation id is kept in the URL");
    await shot("chat");
  });

  step(
    "chat: the reply quotes and cites the uploaded file",
    async () => {
      const reply = page.locator(".message.assistant").last();
      await reply.getByText('notes.txt says: "The support line is open 9 to 5."').waitFor({ timeout: 2000 });
      await reply.locator(".citations").getByText("notes.txt").waitFor({ timeout: 2000 });
    },
    { blocking: false },
  );

  step("chat: Stop ends a reply early", async () => {
    const long = Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ");
    await page.getByLabel("Message", { exact: true }).fill(long);
    await page.getByRole("button", { name: "Send" }).click();
    const reply = page.locator(".message.assistant").last();
    await reply.locator(".markdown").waitFor();
    await page.getByRole("button", { name: "Stop" }).click();
    await reply.getByText("Stopped.").waitFor();
    assert.doesNotMatch((await reply.textContent()) ?? "", /word79/);
  });

  step("chat: an error is shown inline and Retry sends again", async () => {
    // The server's own failure answer, injected once in front of the real endpoint.
    let injected = false;
    await page.route("**/chat/stream", async (route) => {
      if (injected) return route.continue();
      injected = true;
      await route.fulfill({ status: 503, contentType: "application/json", body: '{"detail":"OpenAI is busy, try again"}' });
    });
    await page.getByLabel("Message", { exact: true }).fill("Are you there?");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    const alert = page.locator(".message.assistant").last().getByRole("alert");
    await alert.getByText("OpenAI is busy, try again").waitFor();
    await shot("chat-error");
    await alert.getByRole("button", { name: "Retry" }).click();
    await page.locator(".message.assistant.state-done", { hasText: "Echo: Are you there?" }).waitFor();
    await page.unroute("**/chat/stream");
  });

  step("after a reload the conversation is listed and reopens", async () => {
    await page.goto(`${BASE}/chat?project=${projectId}`);
    const item = page.locator(".conversation-list .nav-item").first();
    await item.waitFor();
    await item.click();
    await page.locator(".message.user", { hasText: "Hello from the browser test" }).waitFor();
    await page.locator(".message.assistant", { hasText: "Echo: Hello from the browser test" }).waitFor();
    // The reply stopped earlier was stored as it stood, marked incomplete.
    await page.locator(".message.assistant.state-incomplete", { hasText: "Echo: word0" }).waitFor();
    await page.getByText("This reply was interrupted before it finished.").waitFor();
  });

  step("the pages work on a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const composer = page.getByLabel("Message", { exact: true });
    await composer.waitFor();
    assert.ok(await composer.isVisible(), "the message box is in view without scrolling the page");
    const box = await composer.boundingBox();
    assert.ok(box && box.y + box.height <= 844, "the message box fits on the screen");
    await shot("chat-mobile");
    await page.goto(`${BASE}/dashboard?project=${projectId}`);
    await page.locator("#composed-prompt").waitFor();
    await shot("dashboard-mobile");
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  step("publish: open the project's Publish tab", async () => {
    await page.goto(`${BASE}/dashboard?project=${projectId}`);
    await page.getByRole("tab", { name: "Publish" }).click();
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await page.getByText("No keys yet: create one below.").waitFor();
    assert.equal(new URL(page.url()).searchParams.get("tab"), "publish");
    await page.getByRole("heading", { name: "OpenAI-compatible API" }).waitFor();
    assert.equal((await page.getByLabel("Base URL", { exact: true }).textContent())?.trim(), `${BASE}/v1`);
  });

  step("publish: create a secret key (chat + read); its full key is shown once and copies", async () => {
    const form = createForm();
    await form.getByLabel("Key name").fill("E2E server");
    await form.getByRole("checkbox", { name: /^read/ }).check();
    await form.getByRole("button", { name: "Create secret key" }).click();
    await secretBox().waitFor();
    secretKey = ((await secretBox().getByLabel("Secret key", { exact: true }).textContent()) ?? "").trim();
    assert.match(secretKey, /^cb_sk_\S{20,}$/);

    await secretBox().getByRole("button", { name: "Copy Secret key" }).click();
    await secretBox().getByText("Copied to the clipboard.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secretKey);

    const row = keyRow("E2E server");
    assert.match((await row.textContent()) ?? "", /Secret.*chat, read.*server default.*never/);
    assert.ok(!(await storedText()).includes(secretKey), "the key is in no browser storage");
  });

  step("publish: once dismissed, the key is listed by its prefix only", async () => {
    await secretBox().getByRole("button", { name: "I have copied it, close" }).click();
    await secretBox().waitFor({ state: "detached" });
    const prefix = ((await keyRow("E2E server").locator(".key-prefix").textContent()) ?? "").replace("…", "");
    assert.ok(prefix.length >= 8 && secretKey.startsWith(prefix), `prefix ${prefix} of the key`);
    assert.ok(!(await page.content()).includes(secretKey), "the full key is nowhere in the page any more");
    await page.reload();
    await keyRow("E2E server").waitFor();
    assert.ok(!(await page.content()).includes(secretKey));
  });

  step("publish: the secret key chats for an end user and reads the project's conversations", async () => {
    const chat = await withKey(secretKey, "POST", "/chat", { message: "Hello from a server", user: "alice-e2e" });
    assert.equal(chat.status, 200, await chat.text());
    const list = await withKey(secretKey, "GET", `/projects/${projectId}/conversations?user=alice-e2e`);
    assert.equal(list.status, 200);
    const conversations = await list.json();
    assert.equal(conversations.length, 1);
    assert.equal(conversations[0].key_name, "E2E server");
    assert.equal(conversations[0].end_user, "alice-e2e");
  });

  step("chat page: conversations name their key and end user, and filter by both", async () => {
    await page.goto(`${BASE}/chat?project=${projectId}`);
    const items = page.locator(".conversation-list li");
    const viaKey = page.locator(".conversation-list li", { hasText: "via E2E server · alice-e2e" });
    await viaKey.waitFor();
    const all = await items.count();
    assert.ok(all >= 2, "the owner's own conversations are listed too");

    await page.getByLabel("Key", { exact: true }).selectOption({ label: "E2E server" });
    await page.waitForFunction(() => document.querySelectorAll(".conversation-list li").length === 1);
    await viaKey.waitFor();
    await shot("chat-filters");

    await page.getByLabel("Key", { exact: true }).selectOption({ label: "All keys" });
    await page.getByLabel("End user").fill("nobody-e2e");
    await page.getByText("No conversation matches these filters.").waitFor();
    await page.getByLabel("End user").fill("alice-e2e");
    await page.waitForFunction(() => document.querySelectorAll(".conversation-list li").length === 1);
    await viaKey.waitFor();
    await page.getByLabel("End user").fill("");
    await page.waitForFunction((n) => document.querySelectorAll(".conversation-list li").length === n, all);
  });

  step("publish: revoke the secret key; from then on it answers 401", async () => {
    await page.goto(`${BASE}/dashboard?project=${projectId}&tab=publish`);
    await keyRow("E2E server").waitFor();
    await page.getByRole("button", { name: "Revoke key E2E server" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await keyRow("E2E server").waitFor({ state: "detached" });
    await page.getByText("No keys yet: create one below.").waitFor();
    const res = await withKey(secretKey, "GET", `/projects/${projectId}/conversations`);
    assert.equal(res.status, 401);
    const chat = await withKey(secretKey, "POST", "/chat", { message: "Still there?" });
    assert.equal(chat.status, 401);
  });

  step("publish: create a publishable key; a bad origin is explained first; the tag carries the full key", async () => {
    const form = createForm();
    await form.getByRole("radio", { name: "Publishable" }).check();
    await form.getByLabel("Key name").fill("E2E site");
    await form.getByLabel("Allowed origins").fill("shop.example.com/products");
    await form.getByRole("button", { name: "Create publishable key" }).click();
    await form.getByRole("alert").getByText(/start with https:\/\/ .*e\.g\. https:\/\/shop\.example\.com\./).waitFor();
    assert.equal(await page.locator(".key-row").count(), 0, "nothing was created");

    await form.getByLabel("Allowed origins").fill("https://shop.example.com");
    await form.getByRole("button", { name: "Create publishable key" }).click();
    await secretBox().waitFor();
    publishableKey = ((await secretBox().getByLabel("Publishable key", { exact: true }).textContent()) ?? "").trim();
    identitySecret = ((await secretBox().getByLabel("Identity secret", { exact: true }).textContent()) ?? "").trim();
    assert.match(publishableKey, /^cb_pk_\S{20,}$/);
    assert.ok(identitySecret.length >= 32);
    await secretBox().getByText("user_hash", { exact: true }).waitFor();

    const tag = ((await page.getByLabel("Widget tag", { exact: true }).textContent()) ?? "").trim();
    assert.equal(tag, `<script src="${BASE}/widget.js" data-key="${publishableKey}" async></script>`);
    assert.match((await keyRow("E2E site").textContent()) ?? "", /Publishable.*https:\/\/shop\.example\.com/);
    assert.ok(!(await storedText()).includes(publishableKey) && !(await storedText()).includes(identitySecret));

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, "publish.png"), fullPage: true });
  });

  step("publish: allow this dashboard, then Preview adds the widget to the page", async () => {
    const preview = page.getByRole("button", { name: "Preview", exact: true });
    assert.ok(await preview.isDisabled(), "no preview before the dashboard's origin is allowed");
    await page.getByRole("button", { name: "Allow this dashboard" }).click();
    await keyRow("E2E site").getByText(BASE, { exact: true }).waitFor();
    await preview.click();
    const script = page.locator("script[data-chatbot-preview]");
    assert.equal(await script.getAttribute("src"), `${BASE}/widget.js`);
    assert.equal(await script.getAttribute("data-key"), publishableKey);
    await page.getByRole("button", { name: "Preview loaded" }).waitFor();
  });

  step(
    "publish: the previewed widget chats in the dashboard, under the dashboard's CSP",
    async () => {
      const widget = page.locator("[data-chatbot-widget]");
      await widget.getByRole("button", { name: "Chat: E2E Support Bot" }).click();
      const message = widget.getByRole("textbox", { name: "Message" });
      await message.fill("Hello from the preview");
      await message.press("Enter");
      await widget.getByText("Echo: Hello from the preview", { exact: false }).first().waitFor();
      await widget.getByRole("button", { name: "Close chat" }).click();
    },
    { blocking: false },
  );

  step("publish: rotate the identity secret; the new one is shown once", async () => {
    await secretBox().getByRole("button", { name: "I have copied it, close" }).click();
    assert.match(((await page.getByLabel("Widget tag", { exact: true }).textContent()) ?? "").trim(), /data-key="cb_pk_\S+…"/);
    await page.getByText("The full key was shown only when it was created", { exact: false }).waitFor();

    await page.getByRole("button", { name: "Rotate the identity secret of E2E site" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
    await secretBox().getByRole("heading", { name: "Copy the new identity secret now" }).waitFor();
    const rotated = ((await secretBox().getByLabel("Identity secret", { exact: true }).textContent()) ?? "").trim();
    assert.ok(rotated.length >= 32 && rotated !== identitySecret);
  });

  step("publish on a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await secretBox().waitFor();
    await page.screenshot({ path: join(OUT, "publish-mobile.png") });
    await secretBox().getByRole("button", { name: "I have copied it, close" }).click();
    await keyRow("E2E site").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, "publish-mobile-keys.png") });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  step("usage: chat a few more messages; each reply shows its tokens and latency in small print", async () => {
    await page.goto(`${BASE}/chat?project=${projectId}`);
    await page.getByRole("button", { name: "New conversation" }).click();
    for (const text of ["How much does this cost?", "And one more question, please"]) {
      await page.getByLabel("Message", { exact: true }).fill(text);
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.locator(".message.assistant.state-done", { hasText: `Echo: ${text}` }).waitFor();
      await page.getByRole("button", { name: "Send" }).waitFor();
    }
    // The latency comes from the stored message, fetched once the reply is done.
    const figures = page.locator(".message.assistant .message-figures");
    await page.waitForFunction(() => [...document.querySelectorAll(".message-figures")].at(-1)?.textContent?.match(/ (ms|s)$/));
    assert.equal(await figures.count(), 2);
    const shown = (await figures.last().textContent()) ?? "";
    assert.match(shown, /^\S+ · [\d,]+ tokens in · [\d,]+ out · \d+(\.\d)? (ms|s)$/);

    const conversation = Number(new URL(page.url()).searchParams.get("conversation"));
    const detail = await (await asUser("GET", `/conversations/${conversation}`)).json();
    const reply = detail.messages.filter((m) => m.role === "assistant").at(-1);
    assert.ok(reply.input_tokens > 0 && reply.output_tokens > 0, "the fake reports token counts");
    assert.ok(shown.startsWith(`${reply.model} · ${count(reply.input_tokens)} tokens in · ${count(reply.output_tokens)} out · `), shown);
  });

  step("usage: the Usage tab draws the charts and shows this month's totals as GET /usage does", async () => {
    await page.goto(`${BASE}/dashboard?project=${projectId}`);
    await page.getByRole("tab", { name: "Usage" }).click();
    assert.equal(new URL(page.url()).searchParams.get("tab"), "usage");
    await page.getByRole("heading", { name: "This month", exact: true }).waitFor();
    // uPlot draws each chart on a canvas, in the lazily loaded chunk.
    await page.waitForFunction(() => document.querySelectorAll(".charts .chart canvas").length === 3);
    await page.locator(".chart .u-legend").first().waitFor();
    assert.deepEqual(csp(), [], "no CSP violation");

    const res = await asUser("GET", `/projects/${projectId}/usage`);
    assert.equal(res.status, 200);
    const { totals } = await res.json();
    assert.ok(totals.requests >= 5 && totals.input_tokens > 0 && totals.cost_usd > 0, JSON.stringify(totals));
    const stats = page.getByRole("definition");
    assert.deepEqual(await page.locator(".stats dt").allTextContents(), ["Requests", "Errors", "Tokens in", "Tokens out", "Cost"]);
    assert.deepEqual(await stats.allTextContents(), [
      count(totals.requests),
      count(totals.errors),
      count(totals.input_tokens),
      count(totals.output_tokens),
      usd(totals.cost_usd),
    ]);
    await page.getByText("No monthly budget", { exact: false }).waitFor();

    const topKeys = page.getByRole("table", { name: "Top keys" });
    await topKeys.getByRole("rowheader", { name: "E2E server" }).waitFor();
    await topKeys.getByRole("rowheader", { name: "Owner (no key)" }).waitFor();
    await page.getByRole("table", { name: "Top end users" }).getByRole("rowheader", { name: "alice-e2e" }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, "usage.png"), fullPage: true });
  });

  step("usage: the range picker redraws the charts for the last 7 days", async () => {
    await page.getByRole("button", { name: "Last 7 days" }).click();
    await page.getByRole("button", { name: "Last 7 days", pressed: true }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get("range"), "7d");
    await page.waitForFunction(() => document.querySelectorAll(".charts .chart canvas").length === 3);
    await page.locator(".range-totals", { hasText: "requests" }).waitFor();
  });

  step("usage: Download CSV saves the report with its header line", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    assert.match(download.suggestedFilename(), /^usage-e2e-support-bot-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}-by-day\.csv$/);
    const lines = readFileSync(await download.path(), "utf8").trim().split("\n");
    assert.equal(
      lines[0],
      "day,label,requests,errors,input_tokens,cached_input_tokens,output_tokens,total_tokens,cost_usd,latency_p50_ms,latency_p95_ms",
    );
    assert.match(lines.at(-1), /^total,,\d+,/);
  });

  step("usage: under a project budget each reply tells what was left of it (X-Budget-Remaining)", async () => {
    await page.getByLabel("USD per month").fill("5");
    await page.getByRole("button", { name: "Save budget" }).click();
    await page.getByText("Budget saved.").waitFor();
    await page.locator(".budget-bar", { hasText: "of $5.00" }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot("usage-budget");

    await page.goto(`${BASE}/chat?project=${projectId}`);
    await page.getByLabel("Message", { exact: true }).fill("Within budget?");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    const figures = page.locator(".message-figures").last();
    await figures.getByText(/before this reply: \$\d+\.\d\d left of the project's monthly budget$/).waitFor();
  });

  step("usage: a project budget of 1 token is spent, and the chat page refuses with the budget's detail", async () => {
    await page.goto(`${BASE}/dashboard?project=${projectId}&tab=usage`);
    await page.locator(".budget-bar", { hasText: "of $5.00" }).waitFor();
    await page.getByLabel("USD per month").fill("");
    await page.getByLabel("Tokens per month").fill("1");
    await page.getByRole("button", { name: "Save budget" }).click();
    await page.getByText("Budget saved.").waitFor();
    await page.locator(".budget-bar.state-over", { hasText: "spent: chat is refused" }).waitFor();

    await page.goto(`${BASE}/chat?project=${projectId}`);
    await page.getByLabel("Message", { exact: true }).fill("Over budget?");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    const alert = page.locator(".message.assistant").last().getByRole("alert");
    await alert.getByText(/^The project's monthly budget \(1 tokens\) is spent: it resets at \d{4}-\d{2}-01T00:00:00Z/).waitFor();
    assert.equal(await alert.getByRole("link", { name: "See usage and budgets" }).getAttribute("href"), `/dashboard?project=${projectId}&tab=usage`);
    await shot("chat-budget");
  });

  step("usage: removing the budget lets chat through again", async () => {
    await page.locator(".message.assistant").last().getByRole("link", { name: "See usage and budgets" }).click();
    await page.locator(".budget-bar.state-over").waitFor();
    assert.equal(await page.getByLabel("Tokens per month").inputValue(), "1");
    await page.getByLabel("Tokens per month").fill("");
    await page.getByRole("button", { name: "Save budget" }).click();
    await page.getByText("Budget saved.").waitFor();
    await page.getByText("No monthly budget", { exact: false }).waitFor();
    const budget = await (await asUser("GET", `/projects/${projectId}/budget`)).json();
    assert.equal(budget.monthly_tokens, null);
    const chat = await asUser("POST", "/chat", { project_id: projectId, message: "Back under budget" });
    assert.equal(chat.status, 200, await chat.text());
  });

  step("usage on a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll(".charts .chart canvas").length === 3);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page does not scroll sideways (${overflow}px too wide)`);
    await page.screenshot({ path: join(OUT, "usage-mobile.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  step("publish: a key's budgets are set in its edit form and shown in the keys table", async () => {
    await page.getByRole("tab", { name: "Publish" }).click();
    await keyRow("E2E site").waitFor();
    assert.match((await keyRow("E2E site").textContent()) ?? "", /none/);
    await page.getByRole("button", { name: "Edit key E2E site" }).click();
    const edit = page.getByRole("form", { name: "Edit key E2E site" });
    await edit.getByLabel("USD per month").fill("2.5");
    await edit.getByLabel("Tokens per end user per day").fill("2000");
    await edit.getByRole("button", { name: "Save key" }).click();
    await edit.waitFor({ state: "detached" });
    const budgets = keyRow("E2E site").locator('[data-label="Budgets"]');
    assert.deepEqual(await budgets.locator("li").allTextContents(), ["$2.50 / month", "2K tokens / user / day"]);
    const keys = await (await asUser("GET", `/projects/${projectId}/keys`)).json();
    const site = keys.find((k) => k.name === "E2E site");
    assert.equal(site.budget_monthly_usd, 2.5);
    assert.equal(site.end_user_daily_tokens, 2000);
    assert.equal(site.budget_monthly_tokens, null);
  });

  step("build: a custom price is saved, and removed with null", async () => {
    await page.getByRole("tab", { name: "Build" }).click();
    const form = page.getByRole("form", { name: "Custom price" });
    await form.getByLabel("Input", { exact: true }).fill("0.5");
    await form.getByLabel("Output", { exact: true }).fill("1.5");
    await form.getByRole("button", { name: "Save price" }).click();
    await form.getByText("Custom price saved.").waitFor();
    let project = await (await asUser("GET", `/projects/${projectId}`)).json();
    assert.deepEqual(project.custom_price, { input: 0.5, cached_input: 0.5, output: 1.5 }, "cached input defaults to input");
    await form.getByRole("button", { name: "Remove custom price" }).click();
    await form.getByText("Custom price removed.").waitFor();
    project = await (await asUser("GET", `/projects/${projectId}`)).json();
    assert.equal(project.custom_price ?? null, null);
  });

  step("API docs: Swagger UI and ReDoc render offline", async () => {
    await page.goto(`${BASE}/docs`);
    await page.locator(".swagger-ui .info .title", { hasText: "Chatbot Platform API" }).waitFor();
    await page.locator(".opblock").first().waitFor();
    await shot("docs");
    await page.goto(`${BASE}/redoc`);
    await page.getByText("Download OpenAPI specification").waitFor();
    await page.getByRole("heading", { name: "Application and database health" }).waitFor();
    await shot("redoc");
    for (const path of ["/docs", "/redoc"]) {
      const csp = seenHeaders.get(path)?.["content-security-policy"] ?? "";
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/, path);
    }
  });

  step("delete a conversation, a prompt, a file and the project, each after a confirmation", async () => {
    await page.goto(`${BASE}/chat?project=${projectId}`);
    const conversations = page.locator(".conversation-list li");
    await conversations.first().waitFor();
    const before = await conversations.count();
    await page.getByRole("button", { name: /^Delete conversation:/ }).first().click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete conversation" }).click();
    await page.waitForFunction((n) => document.querySelectorAll(".conversation-list li").length === n - 1, before);

    await page.goto(`${BASE}/dashboard?project=${projectId}`);
    await page.locator(".prompt-card", { hasText: "Tone" }).getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Cancel" }).click(); // cancelling keeps it
    assert.equal(await page.locator(".prompt-card", { hasText: "Tone" }).count(), 1);
    await page.locator(".prompt-card", { hasText: "Tone" }).getByRole("button", { name: "Delete" }).click();
    await dialog.getByRole("button", { name: "Delete prompt" }).click();
    await page.waitForFunction(() => document.querySelector("#composed-prompt")?.textContent === "Answer in English.");

    await page.getByRole("button", { name: "Delete file notes.txt" }).click();
    await dialog.getByRole("button", { name: "Delete file" }).click();
    await page.getByText("No files yet.").waitFor();

    await page.locator(".header-actions").getByRole("button", { name: "Delete" }).click();
    await dialog.getByRole("button", { name: "Delete project" }).click();
    await page.getByRole("button", { name: "Create your first chatbot" }).waitFor();
  });

  step("log out clears the session cookies and ends the session on the server", async () => {
    await page.goto(`${BASE}/dashboard`);
    const before = await token();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${BASE}/`);
    await page.getByText("You have been logged out.").waitFor();
    assert.equal(await token(), null);
    const me = await fetch(`${BASE}/users/me`, { headers: { Authorization: `Bearer ${before}` } });
    assert.equal(me.status, 401, "the logged-out token still works");
  });

  step("a 401 sends the visitor back to sign-in with a message", async () => {
    await page.context().addCookies([
      { name: "session", value: "not-a-valid-token", url: BASE },
      { name: "csrf_token", value: "not-a-valid-csrf", url: BASE },
    ]);
    // The dashboard may leave for the sign-in page before its own load completes (ERR_ABORTED): that is the point.
    await page.goto(`${BASE}/dashboard`).catch((e) => {
      if (!/ERR_ABORTED/.test(e.message)) throw e;
    });
    await page.getByText("Your session has expired").waitFor();
    await page.waitForURL(`${BASE}/`);
    const hint = (await page.context().cookies(BASE)).find((c) => c.name === "csrf_token");
    assert.equal(hint, undefined, "the sign-in hint is forgotten, so the sign-in page stays");
  });

  step("nothing went wrong in the background", async () => {
    assert.deepEqual(dialogs, [], "no JavaScript dialog opened");
    assert.deepEqual(problems, [], "no console error, CSP violation, uncaught exception or external request");
  });
});
