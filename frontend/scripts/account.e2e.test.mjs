// Account recovery and sign-out end to end in Debian's chromium, against the real server started by
// scripts/e2e.sh (BASE_URL) with its mail going over SMTP to the in-repo capture server (MAIL_URL lists what
// it received): a forgotten password reset through the link in the captured email, an address verified
// through its link, and "sign out everywhere" ending every session. Screenshots go to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8000";
const MAIL = process.env.MAIL_URL ?? "http://127.0.0.1:8025";
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

let profile;
let context;
let page;
let problems = [];
let users = 0;

const json = { "Content-Type": "application/json" };

async function register() {
  const email = `account-e2e-${Date.now()}-${++users}@example.com`;
  const res = await fetch(`${BASE}/users/register`, { method: "POST", headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(res.status, 200, await res.text());
  return email;
}

async function apiLogin(email, password) {
  const res = await fetch(`${BASE}/users/login`, { method: "POST", headers: json, body: JSON.stringify({ email, password }) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text).access_token;
}

/** The link in the newest captured email to `to` whose subject contains `subject`, waiting for it to arrive. */
async function mailedLink(to, subject) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const messages = await (await fetch(`${MAIL}/messages`)).json();
    const found = messages.filter((m) => m.to.includes(to) && m.subject.includes(subject)).at(-1);
    if (found) {
      const link = found.text.match(/https?:\/\/\S+/)?.[0];
      assert.ok(link?.startsWith(BASE), `a link to ${BASE} in: ${found.text}`);
      assert.ok(found.html.includes(link), "the HTML part carries the same link");
      return link;
    }
    assert.ok(Date.now() < deadline, `no email to ${to} about "${subject}" within ${TIMEOUT} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

async function accessibilityProblems() {
  await page.evaluate(`${AXE}\n;0`);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function signInOnPage(email, password) {
  await page.goto(`${BASE}/?reason=signed-out`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in", exact: true }).last().click();
  await page.waitForURL(`${BASE}/dashboard**`);
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
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    // A refused sign-in or an ended session answers 4xx: the browser logs the failed load itself.
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:")) problems.push(`external request: ${url}`);
  });
});

afterEach(async (t) => {
  await page.screenshot({ path: join(OUT, `account-e2e-${t.name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
  await context.clearCookies();
  const seen = problems;
  problems = [];
  assert.deepEqual(seen, [], "no console error, CSP violation, uncaught exception or external request");
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe("account recovery", () => {
  it("a forgotten password is reset through the link in the captured email", async () => {
    const email = await register();
    const oldToken = await apiLogin(email, PASSWORD);

    await page.goto(`${BASE}/?reason=signed-out`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL(`${BASE}/forgot-password`);
    await page.getByLabel("Email").fill(email);
    assert.deepEqual(await accessibilityProblems(), []);
    await page.getByRole("button", { name: "Email me a link" }).click();
    await page.getByText("a link to reset its password is on its way").waitFor();

    const link = await mailedLink(email, "Reset your");
    assert.match(link, /\/reset-password#token=[\w-]{43}$/);
    await page.goto(link);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
    assert.deepEqual(await accessibilityProblems(), []);
    await page.getByLabel("New password", { exact: true }).fill("Renewed-pass-77");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByRole("heading", { name: "Password changed" }).waitFor();

    const me = await fetch(`${BASE}/users/me`, { headers: { Authorization: `Bearer ${oldToken}` } });
    assert.equal(me.status, 401, "the reset ended the sessions signed in with the old password");
    await page.getByRole("link", { name: "Log in", exact: true }).click();
    await signInOnPage(email, "Renewed-pass-77");

    await page.goto(link); // a link works once
    await page.getByLabel("New password", { exact: true }).fill("Another-pass-88");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByText("invalid, used or expired").waitFor();
  });

  it("the verification link verifies the address, and the Account page says so", async () => {
    const email = await register();
    const link = await mailedLink(email, "Verify your email");
    await signInOnPage(email, PASSWORD);
    await page.goto(`${BASE}/account`);
    await page.getByText("Your email address is not verified yet.").waitFor();

    await page.goto(link);
    await page.getByText("Your email address is verified. Thank you!").waitFor();
    await page.goto(`${BASE}/account`);
    await page.getByText("Email address verified").waitFor();
  });
});

describe("sessions", () => {
  it("sign out everywhere ends this browser's session and every other", async () => {
    const email = await register();
    const elsewhere = await apiLogin(email, PASSWORD);
    await signInOnPage(email, PASSWORD);
    await page.goto(`${BASE}/account`);
    await page.getByText("(this session)").waitFor();
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    // The sign-in page drops ?reason= from the address at once: wait for what it says instead.
    await page.getByText("You have been logged out.").waitFor();
    const me = await fetch(`${BASE}/users/me`, { headers: { Authorization: `Bearer ${elsewhere}` } });
    assert.equal(me.status, 401, "the other session's token fails at once");
    await page.goto(`${BASE}/account`);
    await page.getByRole("heading", { name: "Welcome back" }).waitFor(); // the ended cookie session is sent back to sign in
  });
});
