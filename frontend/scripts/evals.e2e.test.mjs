// The dashboard's Evaluations tab end to end in Debian's chromium, against the real server and the OpenAI fake
// started by scripts/e2e.sh. The fake answers the rest of a "fake-reply:" line of the system prompt, so editing
// the prompt changes the bot's answers: add a case (and meet the server's refusal of a bad regex), run it on the
// draft and see it fail with the check that failed, see the release refused for it (and create it anyway), fix
// the prompt, run again and see it pass, publish, run on the published release, roll back, then compare two runs
// side by side. Located by role and accessible name; axe finds no serious problem. Screenshots go to
// E2E_OUTPUT_DIR.
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
let user; // { email, token, call } of the signed-up owner
let projectId;
let promptId;
let firstRun; // this suite's first run id: ids are the server's, and suites before this one may have made runs
const problems = []; // console errors, uncaught exceptions, requests leaving the server

/** A step of the story: skipped once an earlier one failed. */
function step(name, fn) {
  it(name, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await fn();
    } catch (err) {
      failed = true;
      await page?.screenshot({ path: join(OUT, `evals-failure-${name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
      throw err;
    }
  });
}

/** A fresh account made through the API, signed in on the page with the session cookie (as its sign-in does). */
async function signUp() {
  const email = `evals-e2e-${Date.now()}@example.com`;
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

// axe-core from npm (pinned in package.json), evaluated through the DevTools protocol (the CSP allows no inline script).
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

const addForm = () => page.getByRole("form", { name: "Add a case" });
const openEvaluations = async () => {
  await page.getByRole("tab", { name: "Evaluations" }).click();
  await page.getByRole("heading", { name: "Evaluation cases" }).waitFor();
};
/** Runs the cases on the draft from the dashboard and waits for the run's results. */
async function runOnDraft(summary) {
  await page.getByRole("button", { name: "Run on draft" }).click();
  await page.getByRole("heading", { name: summary }).waitFor();
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
  page.on("console", (m) => {
    // The 400 (bad regex) and 409 (gate) the story provokes on purpose are logged by Chrome as failed loads.
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 40[09]/.test(m.text())) {
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
});

describe("evaluations in the dashboard", () => {
  step("a new project's Evaluations tab has no cases and cannot run yet", async () => {
    user = await signUp();
    projectId = (await user.call("POST", "/projects", { name: "Refund bot" })).id;
    promptId = (await user.call("POST", `/projects/${projectId}/prompts`, { name: "Policy", content: "fake-reply: Sorry, we never give refunds." })).id;
    await page.goto(`${BASE}/dashboard?project=${projectId}`);
    await openEvaluations();
    await page.getByText("No cases yet: add the first one below.").waitFor();
    assert.ok(await page.getByRole("button", { name: "Run on draft" }).isDisabled(), "nothing to run without cases");
  });

  step("a bad regex is refused by the server, named, next to the form", async () => {
    const form = addForm();
    await form.getByLabel("Question").fill("Can I get a refund?");
    await form.getByLabel("Reply matches (RE2 regular expression)").fill("(30 days");
    await form.getByRole("button", { name: "Add case" }).click();
    await form.getByRole("alert").getByText('checks.regex: "(30 days" is not a valid RE2 regular expression', { exact: false }).waitFor();
    assert.deepEqual(await user.call("GET", `/projects/${projectId}/eval-cases`), [], "nothing was saved");
  });

  step("add a case with its checks", async () => {
    const form = addForm();
    await form.getByLabel("Reply matches (RE2 regular expression)").fill("");
    await form.getByLabel("Reply must contain (one per line, any case)").fill("REFUNDS within 30 days");
    await form.getByLabel("Reply must not contain (one per line, any case)").fill("never");
    await form.getByRole("button", { name: "Add case" }).click();
    await page.locator(".eval-case", { hasText: "Can I get a refund?" }).getByText('contains "REFUNDS within 30 days" · does not contain "never"').waitFor();
    assert.equal(await form.getByLabel("Question").inputValue(), "", "the form is cleared");
  });

  step("run it on the draft: the case fails, and says which checks failed", async () => {
    await runOnDraft(/^Run \d+ on draft: completed, 0 passed, 1 failed of 1$/);
    firstRun = (await user.call("GET", `/projects/${projectId}/eval-runs`))[0].id;
    const result = page.locator(".eval-result", { hasText: "Can I get a refund?" });
    await result.locator(".badge", { hasText: "failed" }).waitFor();
    await result.getByText('failed: the reply does not contain "REFUNDS within 30 days"').waitFor();
    await result.getByText('failed: the reply contains "never"').waitFor();
    await result.getByText("Sorry, we never give refunds.").waitFor();
    await page.getByRole("row", { name: new RegExp(`Run ${firstRun} on draft failing 0 / 1 1`) }).waitFor();
    await page.screenshot({ path: join(OUT, "evals-failing.png"), fullPage: true });
  });

  step("a release of the failing draft is refused, saying why, until created anyway", async () => {
    await page.getByRole("tab", { name: "Publish" }).click();
    await page.getByRole("heading", { name: "Releases", exact: true }).waitFor();
    await page.getByRole("button", { name: "Create release" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "failed 1 of 1 cases" });
    await alert.getByText(`the latest evaluation run on the draft (run ${firstRun}) failed 1 of 1 cases`, { exact: false }).waitFor();
    await alert.getByRole("button", { name: "Create anyway" }).click();
    await page.locator('[data-release="1"]', { hasText: "published" }).waitFor();
  });

  step("fix the prompt in the Build tab", async () => {
    await page.getByRole("tab", { name: "Build" }).click();
    const card = page.locator(".prompt-card", { hasText: "Policy" });
    await card.getByRole("button", { name: "Edit" }).click();
    const content = page.locator(`#prompt-${promptId}-content`);
    await content.fill("fake-reply: Refunds within 30 days of purchase, no questions asked.");
    await page.locator("form", { has: content }).getByRole("button", { name: "Save" }).click();
    await page.locator(".prompt-content", { hasText: "Refunds within 30 days of purchase" }).waitFor();
  });

  step("run again: the case passes", async () => {
    await openEvaluations();
    await runOnDraft(`Run ${firstRun + 1} on draft: completed, 1 passed, 0 failed of 1`);
    const result = page.locator(".eval-result", { hasText: "Can I get a refund?" });
    await result.locator(".badge", { hasText: "passed" }).waitFor();
    await result.getByText("Refunds within 30 days of purchase, no questions asked.").waitFor();
    assert.equal(await result.locator(".check-failed").count(), 0);
    const run = await user.call("GET", `/projects/eval-runs/${firstRun + 1}`);
    assert.equal(run.passed, 1);
    assert.deepEqual(problems, []);
  });

  step("publish the fixed draft, run on the published release, and roll back", async () => {
    await page.getByRole("tab", { name: "Publish" }).click();
    await page.getByLabel("Note").fill("Refunds fixed");
    await page.getByRole("button", { name: "Create release" }).click();
    await page.locator('[data-release="2"]', { hasText: "published" }).waitFor();

    await openEvaluations();
    await page.getByRole("button", { name: "Run on published" }).and(page.locator(":enabled")).waitFor();
    await page.getByRole("button", { name: "Run on published" }).click();
    await page.getByRole("heading", { name: `Run ${firstRun + 2} on release 2: completed, 1 passed, 0 failed of 1` }).waitFor();

    await page.getByRole("tab", { name: "Publish" }).click();
    await page.locator('[data-release="1"]').getByRole("button", { name: "Roll back" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Roll back" }).click();
    await page.locator('[data-release="1"]', { hasText: "published" }).waitFor();
    assert.equal((await user.call("GET", `/projects/${projectId}`)).published_release, 1, "rolling back is never gated");
    await openEvaluations();
  });

  step("compare the two runs side by side", async () => {
    await page.getByLabel("Left").selectOption({ label: `Run ${firstRun} on draft (0/1 passed)` });
    await page.getByLabel("Right").selectOption({ label: `Run ${firstRun + 1} on draft (1/1 passed)` });
    await page.getByRole("button", { name: "Compare" }).click();
    const row = page.locator(".eval-compare tbody tr", { hasText: "Can I get a refund?" });
    await row.locator("td").nth(0).getByText("Sorry, we never give refunds.").waitFor();
    await row.locator("td").nth(1).getByText("Refunds within 30 days of purchase").waitFor();
    await page.screenshot({ path: join(OUT, "evals-compare.png"), fullPage: true });
    assert.deepEqual(await accessibilityProblems(), []);
    assert.deepEqual(problems, []);
  });
});
