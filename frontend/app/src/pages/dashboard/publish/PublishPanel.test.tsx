// @vitest-environment jsdom
import type { ApiKey, Project } from "@chatbot-platform/sdk";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PublishPanel } from "./PublishPanel";

// The page's client calls relative URLs, which Node's fetch cannot resolve: the same client with the page's origin.
vi.mock("../../../lib/api", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../../lib/api")>();
  const { createApi } = await import("@chatbot-platform/sdk");
  return { ...mod, api: createApi({ baseUrl: window.location.origin, getToken: () => "t" }) };
});

const project: Project = {
  id: 3,
  name: "Support Bot",
  model: "gpt-4o-mini",
  temperature: 0.7,
  max_output_tokens: 2000,
  published_release: null,
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
} as Project;

const apiKey = (over: Partial<ApiKey>): ApiKey => ({
  id: 1,
  project_id: 3,
  name: "Server",
  kind: "secret",
  prefix: "cb_sk_4fQ2x9",
  pinned_release: null,
  scopes: ["chat"],
  allowed_origins: [],
  expires_at: null,
  rate_limit_per_minute: 60,
  require_signed_user: false,
  visitor_messages_per_day: 50,
  budget_monthly_usd: null,
  budget_monthly_tokens: null,
  end_user_daily_tokens: null,
  end_user_monthly_tokens: null,
  created_at: "2026-11-30T10:00:00Z",
  last_used_at: null,
  ...over,
});

const SECRET = "cb_sk_4fQ2x9AAAAbbbbCCCCddddEEEE";
const PUBLISHABLE = "cb_pk_Zq81mAAAAAbbbbCCCCddddEEEE";
const IDENTITY = "9f".repeat(32);

interface Call {
  method: string;
  path: string;
  body: unknown;
}

let calls: Call[];
let keys: ApiKey[];
/** Answers the next POST /projects/3/keys with this instead of creating a key. */
let createAnswer: { status: number; body: unknown } | undefined;

function json(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
  });
}

// A tiny in-memory server for the key routes, behind the global fetch the page's client uses.
async function server(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const text = request.method === "GET" || request.method === "DELETE" ? "" : await request.text();
  const body = text ? JSON.parse(text) : undefined;
  calls.push({ method: request.method, path: url.pathname, body });
  const route = `${request.method} ${url.pathname}`;
  if (route === "GET /projects/3/keys") return json(200, keys);
  if (route === "GET /projects/3/webhooks") return json(200, []); // WebhooksSection.test.tsx tests those
  if (route === "GET /projects/3/releases") return json(200, []); // the releases browser test covers those
  if (route === "POST /projects/3/keys") {
    if (createAnswer) return json(createAnswer.status, createAnswer.body);
    const secret = body.kind === "secret";
    const created = apiKey({
      id: 10 + keys.length,
      name: body.name,
      kind: body.kind,
      prefix: (secret ? SECRET : PUBLISHABLE).slice(0, 12),
      scopes: secret ? body.scopes : ["chat"],
      allowed_origins: body.allowed_origins ?? [],
      rate_limit_per_minute: body.rate_limit_per_minute ?? null,
    });
    keys = [...keys, created];
    return json(201, { ...created, key: secret ? SECRET : PUBLISHABLE, ...(secret ? {} : { identity_secret: IDENTITY }) });
  }
  const m = /^\/projects\/keys\/(\d+)(\/identity-secret)?$/.exec(url.pathname);
  const key = keys.find((k) => k.id === Number(m?.[1]));
  if (m && key) {
    if (m[2]) return json(200, { identity_secret: "ab".repeat(32) });
    if (request.method === "DELETE") {
      keys = keys.filter((k) => k !== key);
      return json(204);
    }
    if (request.method === "PATCH") {
      Object.assign(key, body);
      return json(200, key);
    }
  }
  return json(404, { detail: "Not Found" });
}

beforeEach(() => {
  calls = [];
  keys = [];
  createAnswer = undefined;
  localStorage.clear();
  sessionStorage.clear();
  localStorage.setItem("token", "t");
  vi.stubGlobal("fetch", vi.fn(server));
  // jsdom has no scrollIntoView.
  Element.prototype.scrollIntoView = vi.fn();
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  document.querySelectorAll("script[data-chatbot-preview]").forEach((s) => s.remove());
});

const createForm = () => within(screen.getByRole("form", { name: "Create a key" }));
const secretBox = () => document.querySelector<HTMLElement>(".secret-box");
const storedText = () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage });

describe("PublishPanel", () => {
  it("creates a secret key, shows it once, stores it nowhere, and lists it by prefix only once dismissed", async () => {
    render(<PublishPanel project={project} />);
    await screen.findByText("No keys yet: create one below.");

    const form = createForm();
    fireEvent.change(form.getByLabelText("Key name"), { target: { value: " Backend " } });
    fireEvent.click(form.getByRole("checkbox", { name: /^read/ }));
    fireEvent.click(form.getByRole("button", { name: "Create secret key" }));

    await waitFor(() => expect(secretBox()).not.toBeNull());
    expect(calls.at(-1)).toEqual({
      method: "POST",
      path: "/projects/3/keys",
      body: { name: "Backend", kind: "secret", scopes: ["chat", "read"] },
    });
    expect(within(secretBox()!).getByLabelText("Secret key").textContent).toBe(SECRET);
    expect(document.body.textContent?.split(SECRET).length).toBe(2); // exactly once on the page
    expect(storedText()).not.toContain(SECRET);

    const row = document.querySelector(".key-row")!;
    expect(row.textContent).toContain("cb_sk_4fQ2x9…");
    expect(row.textContent).toContain("chat, read");
    expect(row.textContent).toContain("server default");
    expect(row.textContent).toContain("never");

    fireEvent.click(screen.getByRole("button", { name: "I have copied it, close" }));
    expect(secretBox()).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("checks origins before sending, and shows the server's detail and field errors", async () => {
    render(<PublishPanel project={project} />);
    await screen.findByText("No keys yet: create one below.");
    const form = createForm();
    fireEvent.click(form.getByRole("radio", { name: "Publishable" }));
    fireEvent.change(form.getByLabelText("Key name"), { target: { value: "Shop" } });
    fireEvent.change(form.getByLabelText("Allowed origins"), { target: { value: "https://shop.example/\nshop.example" } });
    fireEvent.click(form.getByRole("button", { name: "Create publishable key" }));

    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
    const alert = await form.findByRole("alert");
    expect(alert.textContent).toContain("no path, query or trailing slash; use https://shop.example.");
    expect(alert.textContent).toContain("start with https:// (or http://), e.g. https://shop.example.");
    expect(form.getByLabelText("Allowed origins").getAttribute("aria-invalid")).toBe("true");

    createAnswer = {
      status: 400,
      body: { detail: "Invalid key", errors: [{ field: "allowed_origins[0]", message: "is not allowed here" }] },
    };
    fireEvent.change(form.getByLabelText("Allowed origins"), { target: { value: "https://shop.example" } });
    fireEvent.click(form.getByRole("button", { name: "Create publishable key" }));
    await waitFor(() => expect(form.getByRole("alert").textContent).toContain("Invalid key"));
    expect(form.getByRole("alert").textContent).toContain("allowed_origins[0]: is not allowed here");
  });

  it("shows a new publishable key's tag with the full key, lets the dashboard in, and previews the widget", async () => {
    render(<PublishPanel project={project} />);
    await screen.findByText("No keys yet: create one below.");
    const form = createForm();
    fireEvent.click(form.getByRole("radio", { name: "Publishable" }));
    fireEvent.change(form.getByLabelText("Key name"), { target: { value: "Shop" } });
    fireEvent.change(form.getByLabelText("Allowed origins"), { target: { value: "https://shop.example" } });
    fireEvent.click(form.getByRole("button", { name: "Create publishable key" }));
    await waitFor(() => expect(secretBox()).not.toBeNull());

    expect(within(secretBox()!).getByLabelText("Identity secret").textContent).toBe(IDENTITY);
    const origin = window.location.origin;
    expect(screen.getByLabelText("Widget tag").textContent).toBe(
      `<script src="${origin}/widget.js" data-key="${PUBLISHABLE}" async></script>`,
    );

    const preview = screen.getByRole("button", { name: "Preview" });
    expect(preview).toHaveProperty("disabled", true);
    fireEvent.click(screen.getByRole("button", { name: "Allow this dashboard" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Preview" })).toHaveProperty("disabled", false));
    expect(calls.at(-1)).toMatchObject({ method: "PATCH", body: { allowed_origins: ["https://shop.example", origin] } });

    fireEvent.click(screen.getByRole("button", { name: "Preview" }));
    const script = document.querySelector<HTMLScriptElement>("script[data-chatbot-preview]");
    expect(script?.src).toBe(`${origin}/widget.js`);
    expect(script?.dataset.key).toBe(PUBLISHABLE);
    expect(screen.getByRole("button", { name: "Preview loaded" })).toHaveProperty("disabled", true);

    // Once dismissed, the tag shows the prefix and says where the full key was.
    fireEvent.click(screen.getByRole("button", { name: "I have copied it, close" }));
    expect(screen.getByLabelText("Widget tag").textContent).toContain('data-key="cb_pk_Zq81mA…"');
    expect(screen.getByText(/The full key was shown only when it was created/)).toBeTruthy();
    expect(document.body.textContent).not.toContain(PUBLISHABLE);
    expect(storedText()).not.toContain(PUBLISHABLE);
  });

  it("edits a key with only the changes, null clearing the rate limit", async () => {
    keys = [apiKey({ id: 1, rate_limit_per_minute: 60 })];
    render(<PublishPanel project={project} />);
    fireEvent.click(await screen.findByRole("button", { name: "Edit key Server" }));
    const edit = within(screen.getByRole("form", { name: "Edit key Server" }));
    fireEvent.change(edit.getByLabelText("Rate limit per minute"), { target: { value: "" } });
    fireEvent.click(edit.getByRole("checkbox", { name: /^write/ }));
    fireEvent.click(edit.getByRole("button", { name: "Save key" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit key Server" })).toBeNull());
    expect(calls.at(-1)).toEqual({
      method: "PATCH",
      path: "/projects/keys/1",
      body: { scopes: ["chat", "write"], rate_limit_per_minute: null },
    });
    expect(document.querySelector(".key-row")?.textContent).toContain("server default");
  });

  it("sets and clears a key's budgets in the edit form, and the table shows them", async () => {
    keys = [apiKey({ id: 1, end_user_daily_tokens: 2000 })];
    render(<PublishPanel project={project} />);
    const row = () => document.querySelector(".key-row")!;
    await waitFor(() => expect(row().textContent).toContain("2K tokens / user / day"));
    fireEvent.click(screen.getByRole("button", { name: "Edit key Server" }));
    const edit = within(screen.getByRole("form", { name: "Edit key Server" }));
    expect(edit.getByLabelText<HTMLInputElement>("Tokens per end user per day").value).toBe("2000");
    fireEvent.change(edit.getByLabelText("USD per month"), { target: { value: "2.5" } });
    fireEvent.change(edit.getByLabelText("Tokens per month"), { target: { value: "50000" } });
    fireEvent.change(edit.getByLabelText("Tokens per end user per day"), { target: { value: "" } });
    fireEvent.click(edit.getByRole("button", { name: "Save key" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit key Server" })).toBeNull());
    expect(calls.at(-1)).toEqual({
      method: "PATCH",
      path: "/projects/keys/1",
      body: { budget_monthly_usd: 2.5, budget_monthly_tokens: 50000, end_user_daily_tokens: null },
    });
    expect(row().textContent).toContain("$2.50 / month");
    expect(row().textContent).toContain("50K tokens / month");
    expect(row().textContent).not.toContain("/ day");
  });

  it("revokes a key after a confirmation, and rotates an identity secret showing the new one once", async () => {
    keys = [apiKey({ id: 1 }), apiKey({ id: 2, name: "Site", kind: "publishable", prefix: "cb_pk_Zq81mA" })];
    render(<PublishPanel project={project} />);
    fireEvent.click(await screen.findByRole("button", { name: "Revoke key Server" }));
    fireEvent.click(screen.getByRole("button", { name: "Revoke key", hidden: true }));
    await waitFor(() => expect(document.querySelectorAll(".key-row")).toHaveLength(1));
    expect(calls.at(-1)).toMatchObject({ method: "DELETE", path: "/projects/keys/1" });

    fireEvent.click(screen.getByRole("button", { name: "Rotate the identity secret of Site" }));
    fireEvent.click(screen.getByRole("button", { name: "Rotate secret", hidden: true }));
    await waitFor(() => expect(secretBox()).not.toBeNull());
    expect(calls.at(-1)).toMatchObject({ method: "POST", path: "/projects/keys/2/identity-secret" });
    expect(within(secretBox()!).getByLabelText("Identity secret").textContent).toBe("ab".repeat(32));
  });
});
