// The embeddable widget end to end in Debian's chromium, against the real server and the OpenAI fake started by
// scripts/e2e.sh (BASE_URL). A site owner makes a publishable key through the API; two small sites on other
// origins embed <script src="BASE/widget.js"> under a strict CSP (no 'unsafe-inline'): one allowed by the key,
// one not. Steps after a failed one are skipped, so the report names the first thing that broke. Screenshots go
// to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8000";
const OUT = process.env.E2E_OUTPUT_DIR ?? mkdtempSync(join(tmpdir(), "chatbot-e2e-out-"));
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
let key; // { key, identity_secret }
let allowed; // http://127.0.0.1:P2
let denied; // http://127.0.0.1:P3
const sites = [];
const problems = []; // console errors, CSP violations, uncaught exceptions, requests to a third origin
const requests = []; // every request the pages made: "METHOD url"
const chats = []; // each POST /chat/stream: its headers and JSON body
const failures = []; // "STATUS METHOD url" of each 4xx or 5xx answer

function step(name, fn, { blocking = true } = {}) {
  it(name, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await fn();
    } catch (err) {
      if (blocking) failed = true;
      await page?.screenshot({ path: join(OUT, `failure-widget-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
      throw err;
    }
  });
}

const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });

/** JSON through the HTTP API, failing on an unexpected status. */
async function api(method, path, { token, body, want = 200 } = {}) {
  const res = await fetch(BASE + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.equal(res.status, want, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A tiny site on a free loopback port whose pages embed the widget under a strict CSP. */
function startSite() {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/") {
      res.writeHead(url.pathname === "/favicon.ico" ? 204 : 404, { "Content-Security-Policy": CSP }).end();
      return;
    }
    const user = url.searchParams.get("user");
    const hash = url.searchParams.get("hash");
    const esc = (s) => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
    const signed = user ? ` data-user="${esc(user)}" data-user-hash="${esc(hash ?? "")}"` : "";
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store" });
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop</title></head>
<body><h1>Welcome to the shop</h1><p>Some page content.</p>
<script src="${BASE}/widget.js" data-key="${esc(key.key)}" data-title="Support"${signed} async></script>
</body></html>`);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      sites.push(server);
      resolve(`http://127.0.0.1:${server.address().port}`);
    });
  });
}

// Locators pierce the widget's open shadow root.
const bubble = () => page.getByRole("button", { name: "Chat: Support" });
const dialog = () => page.getByRole("dialog", { name: "Support" });
const message = () => dialog().getByLabel("Message", { exact: true });
const alert = () => dialog().getByRole("alert");
const replies = () => dialog().locator(".msg.bot:not(.greeting)");
const hmac = (user) => createHmac("sha256", key.identity_secret).update(user).digest("hex");

/** Opens the page and the chat panel. */
async function openWidget(url) {
  await page.goto(url);
  await bubble().click();
  await dialog().waitFor();
}

/** Waits for the reply the fake gives to text (it echoes it, word by word) and for the end of the stream. */
async function reply(text) {
  await replies().last().getByText(`Echo: ${text}`, { exact: true }).waitFor();
  await dialog().getByRole("button", { name: "Send" }).waitFor();
}

/** Sends a message and waits for the complete reply. */
async function chat(text) {
  await message().fill(text);
  await message().press("Enter");
  await reply(text);
}

before(async () => {
  const email = `widget-${Date.now()}@example.com`;
  const password = "Sturdy-pass-42";
  await api("POST", "/users/register", { body: { email, password } });
  const { access_token: token } = await api("POST", "/users/login", { body: { email, password } });
  const project = await api("POST", "/projects", { token, body: { name: "Widget Bot" }, want: 201 });
  key = { key: "", identity_secret: "" }; // the sites render pages only after the key exists
  allowed = await startSite();
  denied = await startSite();
  key = await api("POST", `/projects/${project.id}/keys`, {
    token,
    body: { name: "site", kind: "publishable", allowed_origins: [allowed] },
    want: 201,
  });
  assert.match(key.key, /^cb_pk_/);
  assert.ok(key.identity_secret, "a publishable key comes with an identity secret");

  profile = mkdtempSync(join(tmpdir(), "chatbot-widget-e2e-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(TIMEOUT);
  // Recorded by the browser itself, whatever the console says. Init scripts are not subject to the page's CSP.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`), true);
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("console", (m) => {
    // Chrome logs every 4xx as a failed load; the responses themselves are checked below (failures).
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 40[134]/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400) failures.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on("request", (r) => {
    const url = r.url();
    requests.push(`${r.method()} ${url}`);
    if (url === `${BASE}/chat/stream`) chats.push({ headers: r.headers(), body: r.postDataJSON() });
    if (r.isNavigationRequest()) return;
    const origin = new URL(url).origin;
    if (origin !== BASE && origin !== new URL(r.frame().url()).origin) problems.push(`request to a third origin: ${url}`);
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await Promise.all(sites.map((s) => new Promise((r) => s.close(r))));
  console.log(`screenshots: ${OUT}`);
});

describe("chat widget end to end", () => {
  step("the widget loads on another site under a strict CSP, styled", async () => {
    const res = await page.goto(`${allowed}/`);
    assert.equal(res?.headers()["content-security-policy"], CSP);
    await bubble().waitFor();
    assert.equal(await bubble().getAttribute("aria-expanded"), "false");
    // The constructed stylesheet applied despite style-src 'self': the bubble is fixed at the bottom right.
    const box = await bubble().boundingBox();
    assert.ok(box && box.x > 1280 - 120 && box.y > 860 - 120, `bubble at ${JSON.stringify(box)}`);
    assert.equal(await bubble().evaluate((el) => getComputedStyle(el).position), "fixed");
    const widget = requests.find((r) => r.endsWith("/widget.js"));
    assert.equal(widget, `GET ${BASE}/widget.js`);
  });

  step("the panel opens as a dialog with focus in the message box; Escape closes it", async () => {
    await bubble().click();
    await dialog().waitFor();
    assert.equal(await bubble().getAttribute("aria-expanded"), "true");
    assert.ok(await message().evaluate((el) => el.getRootNode().activeElement === el), "focus is in the message box");
    await page.keyboard.press("Escape");
    await dialog().waitFor({ state: "hidden" });
    assert.ok(await bubble().evaluate((el) => el.getRootNode().activeElement === el), "focus is back on the bubble");
    await bubble().click();
    await dialog().waitFor();
  });

  step("an anonymous visitor's message streams its reply in", async () => {
    // Every rendering of the reply, to prove it arrived in pieces before the stream's end.
    await page.evaluate(() => {
      const root = document.querySelector("[data-chatbot-widget]").shadowRoot;
      window.__renders = [];
      new MutationObserver(() => {
        const bot = [...root.querySelectorAll(".msg.bot:not(.greeting)")].at(-1);
        const stop = root.querySelector(".stop");
        if (bot) window.__renders.push({ streaming: !stop.hidden, text: bot.querySelector(".md").textContent });
      }).observe(root.querySelector(".log"), { subtree: true, childList: true, characterData: true });
    });
    const text = "Hello widget, please say this back to me word by word";
    await message().fill(text);
    await message().press("Enter");
    await dialog().getByRole("button", { name: "Stop" }).waitFor();
    await reply(text);
    const renders = await page.evaluate(() => window.__renders);
    const partial = new Set(renders.filter((r) => r.streaming && r.text && r.text !== `Echo: ${text}`).map((r) => r.text));
    assert.ok(partial.size >= 2, `the reply grew in at least 2 steps while streaming (saw ${partial.size})`);
    assert.equal(await message().inputValue(), "");
    await page.locator('[aria-live="polite"]').getByText(`Echo: ${text}`).waitFor();
    const stored = await page.evaluate(() => ({ ...localStorage }));
    assert.match(stored.cb_widget_visitor ?? "", /^[A-Za-z0-9_-]{32}$/);
    assert.match(stored[`cb_widget_conv_${key.key.slice(0, 12)}`] ?? "", /^\d+$/);
    assert.equal(chats.length, 1);
    assert.deepEqual(chats[0].body, { message: text });
    assert.equal(chats[0].headers["x-visitor-id"], stored.cb_widget_visitor);
    assert.equal(chats[0].headers.authorization, `Bearer ${key.key}`);
    await shot("widget");
  });

  step("after a reload the conversation is restored", async () => {
    await openWidget(`${allowed}/`);
    await dialog().locator(".msg.user", { hasText: "Hello widget" }).waitFor();
    await replies().first().getByText("Echo: Hello widget", { exact: false }).waitFor();
    assert.ok(requests.some((r) => /^GET .*\/conversations\/\d+$/.test(r)), "history was fetched");
    // ... and continues: the next message goes to the same conversation.
    await chat("And a second message");
    assert.equal(await dialog().locator(".msg.user").count(), 2);
  });

  step("on a phone the panel fills the screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const box = await dialog().boundingBox();
    assert.ok(box && box.x === 0 && box.y === 0 && box.width === 390 && box.height === 844, `panel at ${JSON.stringify(box)}`);
    const input = await message().boundingBox();
    assert.ok(input && input.y + input.height <= 844, "the message box is on screen");
    await shot("widget-mobile");
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  step("New conversation starts afresh", async () => {
    await dialog().getByRole("button", { name: "New conversation" }).click();
    assert.equal(await dialog().locator(".msg.user").count(), 0);
    await chat("Fresh start");
    await page.reload();
    await bubble().click();
    await dialog().locator(".msg.user", { hasText: "Fresh start" }).waitFor();
    assert.equal(await dialog().locator(".msg.user").count(), 1);
  });

  step("a site the key does not allow is told so (403)", async () => {
    await openWidget(`${denied}/`);
    await message().fill("Hello from elsewhere");
    await message().press("Enter");
    await alert().getByText("This site is not allowed to use this chat.").waitFor();
    assert.equal(await message().inputValue(), "Hello from elsewhere", "the typed text is kept");
    assert.equal(await replies().count(), 0);
    await shot("widget-denied");
  });

  step("a forged user_hash is refused (401)", async () => {
    await openWidget(`${allowed}/?user=alice&hash=${"0".repeat(64)}`);
    await message().fill("I am alice");
    await message().press("Enter");
    await alert().getByText("This chat could not verify you.").waitFor();
    assert.equal(await message().inputValue(), "I am alice");
  });

  step("a signed-in visitor with the right user_hash chats", async () => {
    await openWidget(`${allowed}/?user=alice&hash=${hmac("alice")}`);
    await chat("Hello as alice");
    assert.equal(await alert().isVisible(), false);
    const { headers, body } = chats.at(-1);
    assert.deepEqual(body, { message: "Hello as alice", user: "alice", user_hash: hmac("alice") }, "no project_id: the key decides");
    assert.equal(headers["x-visitor-id"], undefined, "a signed-in visitor sends no visitor id");
    assert.match(headers.authorization, /^Bearer cb_pk_/);
  });

  step("nothing went wrong in the background, and no request left the two origins", async () => {
    assert.deepEqual(problems, [], "no console error, CSP violation, uncaught exception or third-origin request");
    const toBase = requests.filter((r) => r.split(" ")[1].startsWith(`${BASE}/`)).map((r) => r.replace(BASE, "").replace(/\d+/g, "N").replace(/\?.*/, ""));
    assert.deepEqual(
      [...new Set(toBase)].sort(),
      ["GET /conversations/N", "GET /widget.js", "POST /chat/stream"],
      "the widget asked its host for nothing else",
    );
    // The only refusals are the ones provoked on purpose. The right user's history lookup finds the anonymous
    // visitor's kept conversation id, which is not theirs: 404, and the widget forgets it.
    const hash = hmac("alice");
    assert.deepEqual(
      failures.map((f) => f.replace(BASE, "").replace(/\/\d+/g, "/N").replace(hash, "RIGHT").replace("0".repeat(64), "ZEROS")),
      [
        "403 POST /chat/stream",
        "401 GET /conversations/N?user=alice&user_hash=ZEROS",
        "401 POST /chat/stream",
        "404 GET /conversations/N?user=alice&user_hash=RIGHT",
      ],
    );
  });
});
