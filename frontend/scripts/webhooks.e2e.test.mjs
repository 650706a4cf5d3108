// The dashboard's Webhooks section end to end in Debian's chromium, against the real server started by
// scripts/e2e.sh (BASE_URL, with WEBHOOK_ALLOW_PRIVATE=true so a webhook may point at this test's own receiver
// on 127.0.0.1): add a webhook from the Publish tab, see its signing secret once, rotate it, turn it off and on,
// edit it, open its delivery log, delete it, and meet the server's refusal next to the form. Located by role and
// accessible name; axe finds no serious problem. Screenshots go to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
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
let user; // { email, token, call } of the signed-up owner
let projectId;
let receiver; // the webhook endpoint: a node:http server on 127.0.0.1
let hookUrl;
let hookName; // the URL without its scheme: how buttons name the webhook
let firstSecret;
let currentSecret; // after the rotation
const received = []; // what the receiver was sent
const problems = []; // console errors, uncaught exceptions, requests leaving the server

/** A step of the story: skipped once an earlier one failed. */
function step(name, fn) {
  it(name, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await fn();
    } catch (err) {
      failed = true;
      await page?.screenshot({ path: join(OUT, `webhooks-failure-${name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
      throw err;
    }
  });
}

/** A fresh account made through the API, signed in on the page with the session cookie (as its sign-in does). */
async function signUp() {
  const email = `webhooks-e2e-${Date.now()}@example.com`;
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

const secretBox = () => page.locator(".secret-box");
const addForm = () => page.getByRole("form", { name: "Add a webhook" });
const hookRow = () => page.locator(".webhook-row", { has: page.locator(".key-name", { hasText: hookUrl }) });
const storedText = () => page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
const signingSecret = async () => ((await secretBox().getByLabel("Signing secret", { exact: true }).textContent()) ?? "").trim();
const listed = async () => user.call("GET", `/projects/${projectId}/webhooks`);

before(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hooks/chatbot`;
  hookName = hookUrl.replace("http://", "");

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
    // The 400 the last step provokes on purpose is logged by Chrome as a failed load.
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 400/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:") && !url.startsWith("blob:")) problems.push(`external request: ${url}`);
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve()));
});

describe("webhooks in the dashboard", () => {
  step("the Publish tab has a Webhooks section, empty for a new project", async () => {
    user = await signUp();
    projectId = (await user.call("POST", "/projects", { name: "Webhook bot" })).id;
    await page.goto(`${BASE}/dashboard?project=${projectId}`);
    await page.getByRole("tab", { name: "Publish" }).click();
    await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
    await page.getByText("No webhooks yet: add one below.").waitFor();
    await addForm().getByText("Sent today: conversation.created, message.completed, file.indexed, file.failed and release.published.", { exact: false }).waitFor();
    await page.getByRole("heading", { name: "Verifying signatures" }).waitFor();
    await page.getByLabel("Verify a signature in Node.js", { exact: true }).waitFor();
  });

  step("the form explains what is missing before sending anything", async () => {
    await addForm().getByLabel("Endpoint URL").fill("127.0.0.1/hooks");
    await addForm().getByRole("button", { name: "Add webhook" }).click();
    const alert = addForm().getByRole("alert");
    await alert.getByText("Start the URL with https:// (or http://)", { exact: false }).waitFor();
    await alert.getByText("Choose at least one event.").waitFor();
    assert.deepEqual(await listed(), [], "nothing was created");
  });

  step("add a webhook for the test's receiver: its signing secret is shown once, and stored nowhere", async () => {
    const form = addForm();
    await form.getByLabel("Endpoint URL").fill(hookUrl);
    await form.getByRole("checkbox", { name: /^message\.completed/ }).check();
    await form.getByRole("checkbox", { name: /^conversation\.created/ }).check();
    await form.getByLabel("Description").fill("E2E receiver");
    await form.getByRole("button", { name: "Add webhook" }).click();
    await secretBox().getByRole("heading", { name: "Copy the webhook's signing secret now" }).waitFor();
    firstSecret = await signingSecret();
    assert.match(firstSecret, /^whsec_[A-Za-z0-9+/=]{24,}$/);

    await secretBox().getByRole("button", { name: "Copy Signing secret" }).click();
    await secretBox().getByText("Copied to the clipboard.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), firstSecret);
    assert.ok(!(await storedText()).includes(firstSecret), "the secret is in no browser storage");

    const row = hookRow();
    assert.match((await row.textContent()) ?? "", /message\.completed.*conversation\.created.*E2E receiver.*On/);
    const [hook] = await listed();
    assert.equal(hook.url, hookUrl);
    assert.deepEqual(hook.events, ["message.completed", "conversation.created"]);
    assert.equal(hook.secret, undefined, "the list never carries the secret");
    assert.equal(await addForm().getByLabel("Endpoint URL").inputValue(), "", "the form is ready for another");

    assert.deepEqual(await accessibilityProblems(), []);
    await page.screenshot({ path: join(OUT, "webhooks-secret.png"), fullPage: true });
  });

  step("once dismissed, the secret is gone from the page, also after a reload", async () => {
    await secretBox().getByRole("button", { name: "I have copied it, close" }).click();
    await secretBox().waitFor({ state: "detached" });
    assert.ok(!(await page.content()).includes(firstSecret));
    await page.reload();
    await hookRow().waitFor();
    assert.ok(!(await page.content()).includes(firstSecret));
  });

  step("rotate the signing secret after a confirmation: a new one, shown once", async () => {
    await page.getByRole("button", { name: `Rotate secret of ${hookName}` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("The current one stops signing at once", { exact: false }).waitFor();
    await dialog.getByRole("button", { name: "Rotate secret" }).click();
    await secretBox().getByRole("heading", { name: "Copy the new signing secret now" }).waitFor();
    const rotated = await signingSecret();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, firstSecret);
    currentSecret = rotated;
    await secretBox().getByRole("button", { name: "I have copied it, close" }).click();
    await secretBox().waitFor({ state: "detached" });
  });

  step("turn it off, then on again", async () => {
    await page.getByRole("button", { name: `Turn off webhook ${hookName}` }).click();
    await page.getByRole("button", { name: `Turn on webhook ${hookName}` }).waitFor();
    assert.match((await hookRow().locator(".webhook-status").textContent()) ?? "", /^Off/);
    assert.equal((await listed())[0].enabled, false);

    await page.getByRole("button", { name: `Turn on webhook ${hookName}` }).click();
    await page.getByRole("button", { name: `Turn off webhook ${hookName}` }).waitFor();
    assert.match((await hookRow().locator(".webhook-status").textContent()) ?? "", /^On/);
    assert.equal((await listed())[0].enabled, true);
  });

  step("edit its events and description", async () => {
    await page.getByRole("button", { name: `Edit webhook ${hookName}` }).click();
    const edit = page.getByRole("form", { name: `Edit webhook ${hookName}` });
    await edit.getByRole("checkbox", { name: /^file\.failed/ }).check();
    await edit.getByLabel("Description").fill("E2E receiver, files too");
    await edit.getByRole("button", { name: "Save webhook" }).click();
    await edit.waitFor({ state: "detached" });
    assert.match((await hookRow().textContent()) ?? "", /file\.failed.*E2E receiver, files too/);
    const [hook] = await listed();
    assert.deepEqual(hook.events, ["message.completed", "conversation.created", "file.failed"]);
    assert.equal(hook.description, "E2E receiver, files too");
  });

  step("its delivery log opens empty; a chat's events arrive signed, show in the log, and redeliver", async () => {
    const toggle = page.getByRole("button", { name: `Delivery log of ${hookName}`, exact: true });
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    const log = page.getByRole("region", { name: `Delivery log of ${hookName}` });
    await log.getByText("No deliveries yet.").waitFor();
    const refresh = log.getByRole("button", { name: `Refresh the delivery log of ${hookName}` });
    await refresh.click();
    await refresh.and(page.locator(":enabled")).waitFor();
    await log.getByText("No deliveries yet.").waitFor();
    assert.deepEqual(received, [], "nothing was sent to the receiver");

    // A chat records conversation.created and message.completed; the job queue delivers them, signed.
    await user.call("POST", "/chat", { project_id: projectId, message: "Hello webhooks" });
    const deadline = Date.now() + 15_000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 2, "both events arrive");
    const key = Buffer.from(currentSecret.replace(/^whsec_/, ""), "base64");
    for (const r of received) {
      const id = r.headers["webhook-id"];
      const ts = r.headers["webhook-timestamp"];
      const want = "v1," + createHmac("sha256", key).update(`${id}.${ts}.${r.body}`).digest("base64");
      assert.equal(r.headers["webhook-signature"], want, "signed per Standard Webhooks with the current secret");
      assert.equal(JSON.parse(r.body).id, id);
    }
    assert.deepEqual(received.map((r) => JSON.parse(r.body).type).sort(), ["conversation.created", "message.completed"]);
    await refresh.click();
    await log.locator(".delivery-row").nth(1).waitFor();
    assert.equal(await log.locator(".delivery-row").count(), 2);
    const firstRow = log.locator(".delivery-row").first();
    assert.match((await firstRow.textContent()) ?? "", /Delivered|succeeded/i);

    // Redeliver sends the same event again, with the same webhook-id.
    const redeliveredType = ((await firstRow.locator("code").textContent()) ?? "").trim();
    const originalId = received.find((r) => JSON.parse(r.body).type === redeliveredType).headers["webhook-id"];
    await firstRow.getByRole("button", { name: /^Redeliver / }).click();
    const again = Date.now() + 15_000;
    while (received.length < 3 && Date.now() < again) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 3, "the redelivery arrives");
    assert.equal(received[2].headers["webhook-id"], originalId);

    await page.getByRole("button", { name: `Edit webhook ${hookName}` }).click(); // the form and the log open together
    assert.deepEqual(await accessibilityProblems(), []);
    await page.screenshot({ path: join(OUT, "webhooks.png"), fullPage: true });
    await page.getByRole("form", { name: `Edit webhook ${hookName}` }).getByRole("button", { name: "Cancel" }).click();
  });

  step("delete it after a confirmation", async () => {
    await page.getByRole("button", { name: `Delete webhook ${hookName}` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("This cannot be undone.", { exact: false }).waitFor();
    assert.deepEqual(await accessibilityProblems(), []);
    await dialog.getByRole("button", { name: "Delete webhook" }).click();
    await page.getByText("No webhooks yet: add one below.").waitFor();
    assert.deepEqual(await listed(), []);
  });

  step("the server's refusal is shown next to the form: at most 20 webhooks per project", async () => {
    for (let i = 0; i < 20; i++) {
      await user.call("POST", `/projects/${projectId}/webhooks`, { url: `${hookUrl}/${i}`, events: ["file.indexed"] });
    }
    await page.reload();
    await page.locator(".webhook-row").nth(19).waitFor();
    const form = addForm();
    await form.getByLabel("Endpoint URL").fill(`${hookUrl}/one-too-many`);
    await form.getByRole("checkbox", { name: /^file\.indexed/ }).check();
    await form.getByRole("button", { name: "Add webhook" }).click();
    await form.getByRole("alert").getByText("at most 20 webhooks", { exact: false }).waitFor();
    assert.equal(await secretBox().count(), 0);
    assert.equal(await form.getByLabel("Endpoint URL").inputValue(), `${hookUrl}/one-too-many`, "kept, to fix");
    assert.equal((await listed()).length, 20);
  });

  it("caused no console error, uncaught exception or request leaving the server", () => {
    assert.deepEqual(problems, []);
  });
});
