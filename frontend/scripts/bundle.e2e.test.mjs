// Export, import and templates end to end in Debian's chromium, against the real server started by
// scripts/e2e.sh (BASE_URL): a project from a template, its bundle downloaded through the Export menu,
// the downloaded file imported as a new project (with the files to upload again listed), a bad bundle's
// 400 shown, and the conversations downloaded as a Markdown zip. Screenshots go to E2E_OUTPUT_DIR.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
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

let profile;
let context;
let page;
let problems = [];
const files = mkdtempSync(join(tmpdir(), "chatbot-e2e-bundle-"));

const json = { "Content-Type": "application/json" };

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

async function accessibilityProblems() {
  await page.evaluate(`${AXE}\n;0`);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** A new account with one project (so the dashboard shows the project list), signed in on the page. */
async function signedIn() {
  const email = `bundle-e2e-${Date.now()}@example.com`;
  const reg = await fetch(`${BASE}/users/register`, { method: "POST", headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(reg.status, 200, await reg.text());
  const login = await fetch(`${BASE}/users/login`, { method: "POST", headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
  const token = (await login.json()).access_token;
  const created = await fetch(`${BASE}/projects`, {
    method: "POST",
    headers: { ...json, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: "Scratch" }),
  });
  assert.equal(created.status, 201);
  await page.goto(`${BASE}/?reason=signed-out`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).last().click();
  await page.waitForURL(`${BASE}/dashboard**`);
  return token;
}

/** Clicks an item of the project's Export menu and saves what it downloads; returns the file's path and name. */
async function exportVia(item) {
  await page.locator("summary", { hasText: "Export" }).click();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: item }).click()]);
  const path = join(files, download.suggestedFilename());
  await download.saveAs(path);
  await page.locator("summary", { hasText: "Export" }).click(); // close the menu again
  return { path, name: download.suggestedFilename() };
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
    acceptDownloads: true,
  });
  context.setDefaultTimeout(TIMEOUT);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    // A refused import answers 400: the browser logs the failed load itself.
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:") && !url.startsWith("blob:")) problems.push(`external request: ${url}`);
  });
});

afterEach(async (t) => {
  await page.screenshot({ path: join(OUT, `bundle-e2e-${t.name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
  const seen = problems;
  problems = [];
  assert.deepEqual(seen, [], "no console error, CSP violation, uncaught exception or external request");
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
});

describe("export and import", () => {
  it("creates a project from a template, exports it, and imports the exported file as a new project", async () => {
    const token = await signedIn();
    const projectList = page.getByRole("complementary", { name: "Projects" });

    await page.getByRole("button", { name: "New project from template" }).click();
    const dialog = page.getByRole("dialog", { name: "New project from template" });
    await dialog.getByRole("button", { name: /FAQ bot over your files/ }).waitFor();
    assert.equal(await dialog.getByRole("listitem").count(), 3, "three templates");
    assert.deepEqual(await accessibilityProblems(), []);
    await page.screenshot({ path: join(OUT, "bundle-templates.png") });
    await dialog.getByRole("button", { name: /FAQ bot over your files/ }).click();
    await page.getByRole("heading", { level: 1, name: "FAQ bot over your files" }).waitFor();
    await page.getByText("Answer from the files").first().waitFor(); // the template's prompts are the project's
    const templateId = Number(new URL(page.url()).searchParams.get("project"));

    // A file and a conversation, so the bundle has file names to list and the Markdown export has a page.
    const auth = { Authorization: `Bearer ${token}` };
    const upload = new FormData();
    upload.append("file", new Blob(["Opening hours: 9 to 5."], { type: "text/plain" }), "hours.txt");
    const up = await fetch(`${BASE}/projects/${templateId}/files`, { method: "POST", headers: auth, body: upload });
    assert.equal(up.status, 201, await up.text());
    const chat = await fetch(`${BASE}/chat`, {
      method: "POST",
      headers: { ...json, ...auth },
      body: JSON.stringify({ project_id: templateId, message: "When are you open?" }),
    });
    assert.equal(chat.status, 200, await chat.text());

    const exported = await exportVia("Bundle with conversations (JSON)");
    assert.equal(exported.name, "faq-bot-over-your-files.bundle.json");
    const bundle = JSON.parse(readFileSync(exported.path, "utf8"));
    assert.equal(bundle.version, 1);
    assert.equal(bundle.prompts.length, 3);
    assert.deepEqual(bundle.files.map((f) => f.filename), ["hours.txt"]);
    assert.equal(bundle.conversations.length, 1);

    const markdown = await exportVia("Conversations as Markdown (zip)");
    assert.equal(markdown.name, "faq-bot-over-your-files-conversations.zip");
    assert.equal(readFileSync(markdown.path).subarray(0, 2).toString(), "PK", "a zip");

    await page.getByTestId("import-file").setInputFiles(exported.path);
    await page.getByText("Imported as a new project.").waitFor();
    await page.getByText("Upload these files again").waitFor();
    await page.locator(".missing-files li", { hasText: "hours.txt" }).waitFor();
    const importedId = Number(new URL(page.url()).searchParams.get("project"));
    assert.notEqual(importedId, templateId, "the import opened the new project");
    await page.getByRole("heading", { level: 1, name: "FAQ bot over your files" }).waitFor();
    assert.equal(await projectList.getByRole("button", { name: /FAQ bot over your files/ }).count(), 2);
    await page.getByText("Cite your sources").first().waitFor();
    assert.deepEqual(await accessibilityProblems(), []);
    await page.screenshot({ path: join(OUT, "bundle-imported.png") });

    const convs = await (await fetch(`${BASE}/projects/${importedId}/conversations`, { headers: auth })).json();
    assert.deepEqual(convs.map((c) => c.title), ["When are you open?"]);
  });

  it("shows why a bad bundle is refused, and creates nothing", async () => {
    const token = await signedIn();
    const before = (await (await fetch(`${BASE}/projects`, { headers: { Authorization: `Bearer ${token}` } })).json()).length;
    const bad = join(files, "bad.bundle.json");
    writeFileSync(bad, JSON.stringify({ version: 1, project: { name: "Broken" }, prompts: [{ name: "ok", content: "fine" }, { name: "empty", content: " " }] }));
    await page.getByTestId("import-file").setInputFiles(bad);
    await page.getByRole("alert").filter({ hasText: "Import failed: prompts[1].content: must not be empty" }).waitFor();

    const notJson = join(files, "notes.json");
    writeFileSync(notJson, "these are not JSON");
    await page.getByTestId("import-file").setInputFiles(notJson);
    await page.getByRole("alert").filter({ hasText: "notes.json is not a JSON file" }).waitFor();
    const after = (await (await fetch(`${BASE}/projects`, { headers: { Authorization: `Bearer ${token}` } })).json()).length;
    assert.equal(after, before);
  });
});
