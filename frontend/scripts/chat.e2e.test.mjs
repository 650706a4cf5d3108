// The chat experience end to end in Debian's chromium, against the real server and the OpenAI fake started by
// scripts/e2e.sh (BASE_URL): the defects of issue 14, each reproduced as a user meets it, and the chat features
// that Open WebUI and LibreChat users expect. Each test stands alone on its own user (made through the API),
// located by role and accessible name. Screenshots go to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
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
let problems = [];
let users = 0;

/** A fresh account made through the API, signed in on the page with the session cookie (as its sign-in does). */
async function signUp() {
  const email = `chat-e2e-${Date.now()}-${++users}@example.com`;
  const body = JSON.stringify({ email, password: PASSWORD });
  const headers = { "Content-Type": "application/json" };
  const reg = await fetch(`${BASE}/users/register`, { method: "POST", headers, body });
  assert.equal(reg.status, 200, await reg.text());
  await page.goto(`${BASE}/?reason=signed-out`); // the sign-in page, which stays put with a reason
  const status = await page.evaluate(
    async (b) => (await fetch("/users/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: b })).status,
    body,
  );
  assert.equal(status, 200);
  // The session's token (httpOnly: no page script reads it) also serves the test's own calls from Node.
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
  return { email, token, call };
}

// axe-core from npm (pinned in package.json), evaluated through the DevTools protocol: the pages' CSP allows
// no inline script, and the test must not loosen it.
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The serious and critical axe findings of the page as it stands, plus a missing or repeated h1. */
async function accessibilityProblems() {
  // Colours mid-transition (after a theme change) would be measured as they pass: let them settle.
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

const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`) });

/** An authenticator app's code (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) for a base32 secret at a time. */
function totpCode(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...secret.replace(/=+$/, "")].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[19] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

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
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    // Failed loads are expected while the test takes the browser offline.
    if (m.type() === "error" && !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:") && !url.startsWith("blob:")) problems.push(`external request: ${url}`);
  });
});

afterEach(async (t) => {
  await page.screenshot({ path: join(OUT, `chat-e2e-${t.name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
  await context.setOffline(false);
  await page.setViewportSize({ width: 1280, height: 860 });
  const seen = problems;
  problems = [];
  assert.deepEqual(seen, [], "no console error, CSP violation, uncaught exception or external request");
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe("issue 14 defects", () => {
  it("/chat with no projects says there are no chatbots yet and links to creating one", async () => {
    await signUp();
    await page.goto(`${BASE}/chat`);
    const sidebar = page.getByRole("complementary", { name: "Conversations" });
    await sidebar.getByText("No chatbots yet.").waitFor();
    const link = sidebar.getByRole("link", { name: "Create a chatbot" });
    assert.equal(await link.getAttribute("href"), "/dashboard");
    assert.equal(await page.getByText("Loading…").count(), 0, "nothing says it is still loading");
    await link.click();
    await page.waitForURL(`${BASE}/dashboard**`);
  });

  it("cancelling an upload cancels it: no second request, no file", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Upload bot" });
    await page.goto(`${BASE}/dashboard?project=${project.id}`);
    // A slow line, so the upload is still going when Cancel is pressed.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    const posts = [];
    page.on("request", (r) => r.method() === "POST" && r.url().includes("/files") && posts.push(r.url()));
    try {
      await page.getByLabel("File to upload").setInputFiles({
        name: "big.txt",
        mimeType: "text/plain",
        buffer: Buffer.alloc(3 * 1024 * 1024, "The support line is open 9 to 5.\n"),
      });
      await page.getByRole("button", { name: "Upload", exact: true }).click();
      await page.waitForFunction(() => Number(document.querySelector("progress")?.getAttribute("value")) >= 5);
      await page.getByRole("button", { name: "Cancel upload of big.txt" }).click();
      await page.getByText("Upload of big.txt cancelled.").waitFor();
      await page.waitForTimeout(1500);
      assert.equal(await page.locator("progress").count(), 0, "no progress bar: nothing is uploading");
      assert.equal(posts.length, 1, "the upload was sent once and not again");
      await page.getByRole("button", { name: "Upload", exact: true }).waitFor();
      assert.equal(await page.getByLabel("File to upload").inputValue(), "", "the cancelled file is no longer selected");
    } finally {
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    assert.deepEqual(await call("GET", `/projects/${project.id}/files`), [], "no file was stored");
  });

  it("a long conversation scrolls inside the message list, never the page", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Long talk bot" });
    let conversation;
    for (let i = 0; i < 12; i++) {
      const text = `Question ${i}: ${"please answer at length ".repeat(12)}`;
      const reply = await call("POST", "/chat", { project_id: project.id, message: text, conversation_id: conversation });
      conversation = reply.conversation_id;
    }
    await page.goto(`${BASE}/chat?project=${project.id}&conversation=${conversation}`);
    await page.locator(".message.assistant", { hasText: "Echo: Question 11" }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
    assert.ok(overflow <= 0, `the document fits the window (${overflow}px taller)`);
    await page.getByRole("banner").hover();
    await page.mouse.wheel(0, 2000);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.scrollY), 0, "a wheel over the header does not move the page");
    await page.getByRole("button", { name: "New conversation" }).waitFor();
    assert.ok(await page.getByRole("banner").isVisible());
  });

  it("after being offline, a successful Retry clears the page's error; the error's own Retry does not reload", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Offline bot" });
    await page.goto(`${BASE}/chat?project=${project.id}`);
    await page.getByText("No conversations yet.").waitFor();
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    const unreachable = page.getByRole("alert").filter({ hasText: "The server could not be reached" });

    await context.setOffline(true);
    await page.getByLabel("Message", { exact: true }).fill("Are you there?");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    const reply = page.locator(".message.assistant").last();
    await reply.getByRole("alert").getByText("The server could not be reached").waitFor();
    await context.setOffline(false);
    await reply.getByRole("button", { name: "Retry" }).click();
    await page.locator(".message.assistant.state-done", { hasText: "Echo: Are you there?" }).waitFor();
    await page.locator(".conversation-list").getByText("Are you there?").waitFor();
    await unreachable.first().waitFor({ state: "detached" });
    assert.equal(await unreachable.count(), 0, "no error is left on the page");

    // The page's own error (the conversation list could not load) retries in place.
    await context.setOffline(true);
    await page.getByRole("button", { name: "New conversation" }).click();
    await page.getByLabel("Message", { exact: true }).fill("Still there?");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    const pageError = page.locator(".chat-main > [role=alert]");
    await pageError.getByText("The server could not be reached").waitFor();
    await context.setOffline(false);
    await pageError.getByRole("button", { name: "Retry" }).click();
    await pageError.waitFor({ state: "detached" });
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "Retry did not reload the page");
  });
});

describe("the chat experience", () => {
  it("each reply copies whole and per highlighted code block, and names its model, tokens and latency in small print", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Copy bot" });
    await page.goto(`${BASE}/chat?project=${project.id}`);
    const message = "Two snippets:\n\n```js\nconst answer = 42;\nconsole.log(answer);\n```\n\n```python\nprint('hi')\n```";
    await page.getByLabel("Message", { exact: true }).fill(message);
    await page.getByLabel("Message", { exact: true }).press("Enter");
    const reply = page.locator(".message.assistant.state-done").last();
    await reply.getByRole("button", { name: "Copy reply" }).waitFor();
    assert.equal(await reply.getByRole("button", { name: "Copy code" }).count(), 2, "one Copy per code block");
    // Highlighted by the lazily loaded highlighter, as classes (the CSP allows no inline style).
    await reply.locator("code.language-js .hljs-keyword", { hasText: "const" }).waitFor();
    await reply.locator("code.language-python .hljs-built_in", { hasText: "print" }).waitFor();
    const keyword = await reply.locator(".hljs-keyword").first().evaluate((el) => getComputedStyle(el).color);
    const plain = await reply.locator("pre code").first().evaluate((el) => getComputedStyle(el).color);
    assert.notEqual(keyword, plain, "keywords have their own colour");

    await reply.getByRole("button", { name: "Copy reply" }).click();
    await reply.getByRole("status").getByText("Copied to the clipboard.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `Echo: ${message}`);
    await reply.getByRole("button", { name: "Copy code" }).first().click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "const answer = 42;\nconsole.log(answer);");
    await reply.getByRole("button", { name: "Copy code" }).last().click();
    await page.waitForFunction(async () => (await navigator.clipboard.readText()) === "print('hi')");

    // The latency comes from the stored message, fetched once the reply is done.
    const figures = reply.locator(".message-figures");
    await figures.getByText(/ (ms|s)$/).waitFor();
    const { messages } = await call("GET", `/conversations/${new URL(page.url()).searchParams.get("conversation")}`);
    const stored = messages.at(-1);
    assert.ok(stored.model, "the API names the model");
    assert.match((await figures.textContent()) ?? "", new RegExp(`^${stored.model} · ${stored.input_tokens} tokens in · ${stored.output_tokens} out · \\d+(\\.\\d)? (ms|s)$`));
    await shot("chat-copy");
  });

  it("Regenerate asks the last question again and Edit and ask again starts from an earlier one, each a new turn", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Turn bot" });
    await page.goto(`${BASE}/chat?project=${project.id}`);
    const composer = page.getByLabel("Message", { exact: true });
    await composer.fill("Tell me a joke");
    await composer.press("Enter");
    await page.locator(".message.assistant.state-done", { hasText: "Echo: Tell me a joke" }).waitFor();
    await page.getByRole("button", { name: "Regenerate" }).click();
    await page.waitForFunction(() => document.querySelectorAll(".message.assistant.state-done").length === 2);
    assert.equal(await page.getByRole("button", { name: "Regenerate" }).count(), 1, "only the last reply regenerates");

    await page.getByRole("button", { name: "Edit and ask again" }).first().click();
    // React fills the box on its next render: wait for it rather than read it at once.
    for (let i = 0; i < 100 && (await composer.inputValue()) === ""; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await composer.inputValue(), "Tell me a joke");
    assert.ok(await composer.evaluate((el) => el === document.activeElement), "the message box has the focus");
    await composer.fill("Tell me a short joke");
    await composer.press("Enter");
    await page.locator(".message.assistant.state-done", { hasText: "Echo: Tell me a short joke" }).waitFor();

    const conversation = new URL(page.url()).searchParams.get("conversation");
    const { messages } = await call("GET", `/conversations/${conversation}`);
    assert.deepEqual(
      messages.filter((m) => m.role === "user").map((m) => m.content),
      ["Tell me a joke", "Tell me a joke", "Tell me a short joke"],
      "history stays honest: every turn is stored as it was sent",
    );
    assert.equal(await page.locator(".message").count(), 6);
  });

  it("conversations: the open one's title is the page's h1; rename; search titles and messages; delete after a confirmation", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Search bot" });
    for (const text of ["Shipping to Norway", "Refund for order 42", "Shipping times in winter"]) {
      await call("POST", "/chat", { project_id: project.id, message: text });
    }
    await page.goto(`${BASE}/chat?project=${project.id}`);
    await page.getByRole("heading", { level: 1, name: "New conversation" }).waitFor();
    const sidebar = page.getByRole("complementary", { name: "Conversations" });
    const list = sidebar.getByRole("list");
    await list.getByRole("listitem").nth(2).waitFor();

    await list.getByRole("button", { name: /^Refund for order 42/ }).click();
    await page.getByRole("heading", { level: 1, name: "Refund for order 42" }).waitFor();
    assert.equal(await page.getByRole("heading", { level: 1 }).count(), 1, "one h1");

    await sidebar.getByRole("button", { name: "Rename conversation: Refund for order 42" }).click();
    await sidebar.getByRole("textbox", { name: "New title for Refund for order 42" }).fill("Money back");
    await sidebar.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { level: 1, name: "Money back" }).waitFor();
    const renamed = await call("GET", `/projects/${project.id}/conversations`);
    assert.ok(renamed.some((c) => c.title === "Money back"), "the new title is stored");

    const search = page.getByRole("searchbox", { name: "Search conversations" });
    await search.fill("SHIPPING");
    await page.waitForFunction(() => document.querySelectorAll(".conversation-list li").length === 2);
    await search.fill("order 42"); // no title says it any more: found by its messages
    await page.waitForFunction(() => document.querySelectorAll(".conversation-list li").length === 1);
    await list.getByRole("button", { name: /^Money back/ }).waitFor();
    await search.fill("nothing like this");
    await page.getByText("No conversation matches this search.").waitFor();
    await search.fill("");
    await page.waitForFunction(() => document.querySelectorAll(".conversation-list li").length === 3);

    await page.getByRole("button", { name: "Delete conversation: Money back" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete conversation" }).click();
    await page.waitForFunction(() => document.querySelectorAll(".conversation-list li").length === 2);
    await page.getByRole("heading", { level: 1, name: "New conversation" }).waitFor();
    const left = await call("GET", `/projects/${project.id}/conversations`);
    assert.deepEqual(left.map((c) => c.title).sort(), ["Shipping times in winter", "Shipping to Norway"]);
  });

  it("on a phone the conversations are a drawer, and neither the project name nor the placeholder is cut off", async () => {
    const { call } = await signUp();
    const name = "Customer Support Assistant for Nordic Stores";
    const project = await call("POST", "/projects", { name });
    await call("POST", "/chat", { project_id: project.id, message: "Where is my parcel?" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/chat?project=${project.id}`);
    const toggle = page.getByRole("button", { name: "Conversations", expanded: false });
    await toggle.waitFor();
    const sidebar = page.getByRole("complementary", { name: "Conversations" });
    assert.equal(await sidebar.isVisible(), false, "the drawer starts closed");

    const composer = page.getByLabel("Message", { exact: true });
    assert.equal(await composer.getAttribute("placeholder"), `Message ${name}…`);
    const cut = await composer.evaluate((el) => el.scrollHeight - el.clientHeight);
    assert.ok(cut <= 1, `the placeholder fits in the message box (${cut}px cut off)`);
    const projectName = page.locator(".chat-project");
    assert.equal(await projectName.textContent(), name);
    assert.ok(await projectName.evaluate((el) => el.scrollWidth <= el.clientWidth), "the project name is not cut off");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page does not scroll sideways (${overflow}px too wide)`);
    const atBottom = await composer.boundingBox();
    assert.ok(atBottom && atBottom.y + atBottom.height >= 844 - 40, "the messages fill the screen down to the message box");
    await shot("chat-drawer-closed");

    await toggle.click();
    await page.getByRole("button", { name: "Conversations", expanded: true }).waitFor();
    await sidebar.waitFor();
    const picker = page.getByLabel("Project", { exact: true });
    const pickerBox = await picker.boundingBox();
    assert.ok(pickerBox && pickerBox.width >= 300, "the project picker has the drawer's width");
    await shot("chat-drawer-open");
    await sidebar.getByRole("button", { name: /^Where is my parcel\?/ }).click();
    await page.getByRole("heading", { level: 1, name: "Where is my parcel?" }).waitFor();
    await sidebar.waitFor({ state: "hidden" });
    const box = await composer.boundingBox();
    assert.ok(box && box.y + box.height <= 844, "the message box is on the screen");
  });

  it("registering signs the new user in, on an empty dashboard whose button creates the first chatbot", async () => {
    await context.clearCookies();
    await page.goto(`${BASE}/`);
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByLabel("Email").fill(`chat-e2e-new-${Date.now()}@example.com`);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(`${BASE}/dashboard**`);
    await page.getByRole("heading", { level: 1, name: "No chatbots yet" }).waitFor();
    await shot("dashboard-empty");
    await page.getByRole("button", { name: "Create your first chatbot" }).click();
    await page.getByRole("heading", { level: 1, name: "My first chatbot" }).waitFor();
    assert.ok(Number(new URL(page.url()).searchParams.get("project")) > 0);
  });

  it("citations are inline markers linked to source chips; a long quote starts collapsed", async () => {
    const { token, call } = await signUp();
    const project = await call("POST", "/projects", { name: "Cited bot" });
    const longText = `Returns are accepted within 30 days.\n${"Keep the receipt and the original packaging. ".repeat(8)}`;
    for (const [name, content] of [
      ["hours.txt", "The support line is open 9 to 5."],
      ["returns.txt", longText],
    ]) {
      const form = new FormData();
      form.append("file", new Blob([content], { type: "text/plain" }), name);
      const res = await fetch(`${BASE}/projects/${project.id}/files`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form });
      assert.ok(res.ok, await res.text());
    }
    for (let i = 0; i < 60; i++) {
      const files = await call("GET", `/projects/${project.id}/files`);
      if (files.every((f) => f.status === "completed")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.goto(`${BASE}/chat?project=${project.id}`);
    await page.getByLabel("Message", { exact: true }).fill("When can I call?");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    const reply = page.locator(".message.assistant.state-done").last();
    const sources = reply.getByRole("list", { name: "Sources" });
    await sources.waitFor();
    assert.equal(await sources.getByRole("listitem").count(), 2);

    // The quote the reply repeats gets its marker right after it, inside the text.
    const first = reply.locator(".markdown").getByRole("link", { name: "Source 1: hours.txt" });
    assert.equal(await first.textContent(), "[1]");
    const before = await first.evaluate((a) => a.previousSibling?.textContent ?? "");
    assert.match(before, /The support line is open 9 to 5\."$/);
    const second = reply.locator(".markdown").getByRole("link", { name: "Source 2: returns.txt" });
    assert.equal(await second.textContent(), "[2]");

    // A short quote shows; a long one is collapsed until asked for.
    const shortChip = sources.getByRole("listitem").filter({ hasText: "hours.txt" });
    const longChip = sources.getByRole("listitem").filter({ hasText: "returns.txt" });
    assert.ok(await shortChip.locator("q").isVisible());
    assert.equal(await longChip.locator("q").isVisible(), false, "the long quote starts collapsed");
    await second.click();
    await longChip.locator("q").getByText("Keep the receipt", { exact: false }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "[2] returns.txt", "the focus moved to the source");
    assert.equal(new URL(page.url()).hash, "", "the URL is unchanged");
    await shot("chat-citations");
  });

  it("axe finds no serious or critical problem, and one h1, on every page", async () => {
    const { call } = await signUp();
    const pages = [];
    const check = async (name) => pages.push([name, await accessibilityProblems()]);

    await page.goto(`${BASE}/dashboard`);
    await page.getByRole("button", { name: "Create your first chatbot" }).waitFor();
    await check("empty dashboard");
    await page.goto(`${BASE}/chat`);
    await page.getByText("No chatbots yet.").waitFor();
    await check("chat without chatbots");

    const project = await call("POST", "/projects", { name: "Checked bot" });
    await call("POST", "/projects/" + project.id + "/prompts", { name: "Tone", content: "Be brief." });
    const { conversation_id: conversation } = await call("POST", "/chat", { project_id: project.id, message: "Hi!\n\n```js\nlet a = 1;\n```" });
    for (const tab of ["Build", "Publish", "Usage"]) {
      await page.goto(`${BASE}/dashboard?project=${project.id}`);
      await page.getByRole("tab", { name: tab }).click();
      await page.getByRole("tabpanel").waitFor();
      await page.waitForLoadState("networkidle");
      await check(`dashboard, ${tab} tab`);
    }
    await page.goto(`${BASE}/chat?project=${project.id}`);
    await page.getByRole("heading", { level: 1, name: "New conversation" }).waitFor();
    await check("new conversation");
    await page.goto(`${BASE}/chat?project=${project.id}&conversation=${conversation}`);
    await page.locator(".message.assistant .hljs-keyword").waitFor();
    await check("a conversation");
    await page.emulateMedia({ colorScheme: "dark" });
    await check("a conversation, dark");
    await shot("chat-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("button", { name: "Conversations" }).click();
    await check("a conversation on a phone, drawer open");
    await shot("chat-drawer");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.getByRole("button", { name: "Conversations" }).click();
    await shot("chat-mobile-dark");
    await page.emulateMedia({ colorScheme: "light" });

    await page.goto(`${BASE}/account`);
    await page.getByRole("heading", { level: 2, name: "Sessions" }).waitFor();
    await page.getByText("(this session)").waitFor();
    await check("account");

    await context.clearCookies();
    await page.goto(`${BASE}/`);
    await page.getByRole("heading", { level: 1, name: "Welcome back" }).waitFor();
    await check("sign-in");
    await page.getByRole("button", { name: "Register" }).click();
    await check("register");

    assert.deepEqual(pages.filter(([, found]) => found.length > 0), [], "pages with accessibility problems");
  });

  it("the Account page: display name, sessions signed out one by one, password change, export, account deletion", async () => {
    const { email, token } = await signUp();
    const body = (password) => JSON.stringify({ email, password });
    const headers = { "Content-Type": "application/json" };
    const other = await fetch(`${BASE}/users/login`, { method: "POST", headers, body: body(PASSWORD) });
    const { access_token: otherToken } = await other.json();

    await page.goto(`${BASE}/dashboard`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
    await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
    await page.getByLabel("Display name").fill("Ada");
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByRole("status").getByText("Saved.").waitFor();

    const sessions = page.locator(".session-list li");
    await page.waitForFunction(() => document.querySelectorAll(".session-list li").length === 2);
    await sessions.filter({ hasNotText: "(this session)" }).getByRole("button", { name: /^Sign out session/ }).click();
    await page.waitForFunction(() => document.querySelectorAll(".session-list li").length === 1);
    const dead = await fetch(`${BASE}/users/me`, { headers: { Authorization: `Bearer ${otherToken}` } });
    assert.equal(dead.status, 401, "the signed-out session's token is refused");

    await page.getByLabel("Current password").fill("Wrong-pass-99");
    await page.getByLabel("New password").fill("Brand-new-pass-7");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("is not your current password").waitFor();
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed.").waitFor();

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download my data" }).click();
    const file = await (await download).path();
    const data = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(data.user.email, email);
    assert.equal(data.user.display_name, "Ada");

    await page.getByRole("button", { name: "Delete account…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Your password").fill("Brand-new-pass-7");
    await dialog.getByRole("button", { name: "Delete account" }).click();
    await page.waitForURL(`${BASE}/?reason=signed-out`);
    const gone = await fetch(`${BASE}/users/login`, { method: "POST", headers, body: body("Brand-new-pass-7") });
    assert.equal(gone.status, 401, "the deleted account cannot sign in");
    const stale = await fetch(`${BASE}/users/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(stale.status, 401);
  });

  it("the Theme menu switches light, dark and back to the system's, and remembers the choice", async () => {
    await signUp();
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(`${BASE}/chat`);
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const theme = page.getByLabel("Theme", { exact: true });
    await theme.waitFor();
    const light = await bg();
    await theme.selectOption({ label: "Dark" });
    await page.waitForFunction((l) => getComputedStyle(document.body).backgroundColor !== l, light);
    const dark = await bg();
    await page.reload();
    await theme.waitFor();
    assert.equal(await bg(), dark, "the choice outlives a reload");
    assert.equal(await theme.inputValue(), "dark");
    await theme.selectOption({ label: "System" });
    assert.equal(await bg(), light, "System follows the system (light here)");
    await page.emulateMedia({ colorScheme: "dark" });
    assert.equal(await bg(), dark, "and follows it when it changes");
    await theme.selectOption({ label: "Light" });
    assert.equal(await bg(), light, "Light wins over a dark system");
    await theme.selectOption({ label: "System" });
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the header fits a phone (${overflow}px too wide)`);
    await shot("chat-theme-mobile");
  });

  it("files: several at once, or dropped, each with its own progress and a Cancel that cancels only it", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Files bot" });
    await page.goto(`${BASE}/dashboard?project=${project.id}`);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
    try {
      await page.getByLabel("File to upload").setInputFiles([
        { name: "slow.txt", mimeType: "text/plain", buffer: Buffer.alloc(4 * 1024 * 1024, "Slow line.\n") },
        { name: "small.txt", mimeType: "text/plain", buffer: Buffer.from("A small file.\n") },
      ]);
      await page.getByRole("button", { name: "Upload", exact: true }).click();
      const uploads = page.getByRole("list", { name: "Uploads" });
      await uploads.getByText(/^Uploading slow\.txt: \d+%$/).waitFor();
      await page.locator(".file-row", { hasText: "small.txt" }).waitFor();
      await page.getByRole("button", { name: "Cancel upload of slow.txt" }).click();
      await page.getByText("Upload of slow.txt cancelled.").waitFor();
      await uploads.waitFor({ state: "detached" });
    } finally {
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }

    // Dropped files upload the same way.
    const drop = await page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(["Dropped one.\n"], "dropped-1.txt", { type: "text/plain" }));
      data.items.add(new File(["Dropped two.\n"], "dropped-2.txt", { type: "text/plain" }));
      return data;
    });
    const form = page.locator(".upload-form");
    await form.dispatchEvent("dragover", { dataTransfer: drop });
    await page.locator(".upload-form.dragging").waitFor();
    await form.dispatchEvent("drop", { dataTransfer: drop });
    await page.locator(".file-row", { hasText: "dropped-2.txt" }).waitFor();
    await page.locator(".file-row", { hasText: "dropped-1.txt" }).waitFor();
    const names = (await call("GET", `/projects/${project.id}/files`)).map((f) => f.filename).sort();
    assert.deepEqual(names, ["dropped-1.txt", "dropped-2.txt", "small.txt"], "the cancelled file was not stored");
  });

  it("Try it beside the prompts chats with the prompts as they stand, without leaving the page", async () => {
    const { call } = await signUp();
    const project = await call("POST", "/projects", { name: "Tuned bot" });
    await page.goto(`${BASE}/dashboard?project=${project.id}`);
    await page.getByRole("button", { name: /^Try it/ }).click();
    const panel = page.getByRole("region", { name: "Try it" });
    const box = panel.getByLabel("Message", { exact: true });
    await box.fill("First try");
    await box.press("Enter");
    await panel.locator(".message.assistant.state-done", { hasText: "Echo: First try" }).waitFor();

    await page.getByLabel("Name", { exact: true }).fill("Tone");
    await page.getByLabel("Content", { exact: true }).fill("Be brief.");
    await page.getByRole("button", { name: "Add prompt" }).click();
    await box.fill("Second try");
    await box.press("Enter");
    await panel.locator(".message.assistant.state-done", { hasText: "Echo: Second try" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/dashboard");
    const conversations = await call("GET", `/projects/${project.id}/conversations`);
    assert.equal(conversations.length, 1, "both messages went into one conversation");
    await shot("dashboard-try");

    await panel.getByRole("button", { name: "Start over" }).click();
    assert.equal(await panel.locator(".message").count(), 0);
    assert.deepEqual(await accessibilityProblems(), []);
  });
});

describe("two-factor sign-in", () => {
  it("set up on the Account page (QR code, code, recovery codes once), then sign in with the password and a code", async () => {
    const { email } = await signUp();
    await page.goto(`${BASE}/account`);
    const card = page.getByRole("region", { name: "Two-factor sign-in" });
    await card.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    await card.getByRole("img", { name: /QR code/ }).waitFor();
    const secret = ((await card.locator(".copy-field pre").first().textContent()) ?? "").trim();
    assert.match(secret, /^[A-Z2-7]{32}$/, "the key is shown for typing in");
    assert.deepEqual(await accessibilityProblems(), [], "the set-up");

    await card.getByLabel("Code from the app").fill("000000" === totpCode(secret) ? "111111" : "000000");
    await card.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    await card.getByText("is not the current code").waitFor();
    await card.getByLabel("Code from the app").fill(totpCode(secret));
    await card.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    const box = card.getByRole("region", { name: "Save your recovery codes now" });
    await box.waitFor();
    const codes = await box.locator("ol.recovery-codes li").allTextContents();
    assert.equal(codes.length, 10);
    assert.match(codes[0], /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    assert.deepEqual(await accessibilityProblems(), [], "the recovery codes");
    await shot("account-two-factor");
    await box.getByRole("button", { name: "Copy the recovery codes" }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), codes.join("\n"));
    await box.getByRole("button", { name: "I have saved them" }).click();
    await card.getByText("On.").waitFor();

    // Sign out; the password alone no longer signs in: the page asks for the code.
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${BASE}/**`);
    await page.getByRole("heading", { level: 1, name: "Welcome back" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.locator("form").getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { level: 1, name: "Two-factor sign-in" }).waitFor();
    assert.equal((await context.cookies(BASE)).find((c) => c.name === "session"), undefined, "no session before the code");
    assert.deepEqual(await accessibilityProblems(), [], "the code step");
    const field = page.getByLabel("6-digit code from your authenticator app");
    // The step after the one that turned it on (a code is accepted once, one step of skew either way).
    const next = totpCode(secret, Date.now() + 30_000);
    await field.fill(next === "123456" ? "654321" : "123456");
    await page.getByRole("button", { name: "Verify and log in" }).click();
    await page.getByRole("alert").getByText("Incorrect code").waitFor();
    await field.fill(next);
    await page.getByRole("button", { name: "Verify and log in" }).click();
    await page.waitForURL(`${BASE}/dashboard**`);
    assert.ok((await context.cookies(BASE)).find((c) => c.name === "session"), "signed in");

    // Turned off with the password and a recovery code; the next sign-in needs the password only.
    await page.goto(`${BASE}/account`);
    await card.getByText("On.").waitFor();
    await card.getByRole("button", { name: "Use a recovery code instead" }).click();
    await card.getByLabel("Your password").fill(PASSWORD);
    await card.getByLabel("A recovery code").fill(codes[0]);
    await card.getByRole("button", { name: "Turn off two-factor sign-in" }).click();
    await card.getByRole("button", { name: "Set up two-factor sign-in" }).waitFor();
    const login = await fetch(`${BASE}/users/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.deepEqual(Object.keys(await login.json()).sort(), ["access_token", "token_type"]);
  });
});
