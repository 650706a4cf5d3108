// @vitest-environment jsdom
import type { Project, Webhook, WebhookDelivery } from "@chatbot-platform/sdk";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WebhooksSection } from "./WebhooksSection";

// The page's client calls relative URLs, which Node's fetch cannot resolve: the same client with the page's origin.
vi.mock("../../../lib/api", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../../lib/api")>();
  const { createApi } = await import("@chatbot-platform/sdk");
  return { ...mod, api: createApi({ baseUrl: window.location.origin, getToken: () => "t" }) };
});

const project = { id: 3, name: "Support Bot", model: "gpt-4o-mini" } as Project;

const webhook = (over: Partial<Webhook>): Webhook => ({
  id: 1,
  project_id: 3,
  url: "https://crm.example/hooks",
  events: ["message.completed"],
  description: "",
  enabled: true,
  disabled_reason: "",
  failing_since: null,
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
  ...over,
});

const delivery = (over: Partial<WebhookDelivery>): WebhookDelivery => ({
  id: 50,
  event_id: "evt_abc",
  event_type: "message.completed",
  status: "failed",
  attempts: 3,
  response_status: 503,
  latency_ms: 120,
  error: "the endpoint answered 503",
  created_at: "2026-11-30T11:00:00Z",
  last_attempt_at: "2026-11-30T11:30:00Z",
  ...over,
});

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROTATED = "whsec_c2Vjb25kIHNlY3JldCBmb3IgdGhlIHRlc3Q=";

interface Call {
  method: string;
  path: string;
  body: unknown;
}

let calls: Call[];
let hooks: Webhook[];
let deliveries: Record<number, WebhookDelivery[]>;
/** Answers the next POST /projects/3/webhooks with this instead of creating a webhook. */
let createAnswer: { status: number; body: unknown } | undefined;

function json(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
  });
}

// A tiny in-memory server for the webhook routes, behind the global fetch the page's client uses.
async function server(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const text = request.method === "GET" || request.method === "DELETE" ? "" : await request.text();
  const body = text ? JSON.parse(text) : undefined;
  calls.push({ method: request.method, path: url.pathname, body });
  const route = `${request.method} ${url.pathname}`;
  if (route === "GET /projects/3/webhooks") return json(200, hooks);
  if (route === "POST /projects/3/webhooks") {
    if (createAnswer) return json(createAnswer.status, createAnswer.body);
    const created = webhook({ id: 10 + hooks.length, url: body.url, events: body.events, description: body.description ?? "" });
    hooks = [...hooks, created];
    return json(201, { ...created, secret: SECRET });
  }
  const m = /^\/projects\/3\/webhooks\/(\d+)(\/rotate-secret|\/deliveries(?:\/(\d+)\/redeliver)?)?$/.exec(url.pathname);
  const hook = hooks.find((h) => h.id === Number(m?.[1]));
  if (m && hook) {
    if (m[2] === "/rotate-secret") return json(200, { ...hook, secret: ROTATED });
    if (m[2] === "/deliveries") return json(200, deliveries[hook.id] ?? []);
    if (m[3]) {
      const d = deliveries[hook.id]?.find((x) => x.id === Number(m[3]));
      if (!d) return json(404, { detail: "delivery not found" });
      Object.assign(d, { status: "pending", error: "" });
      return json(202);
    }
    if (request.method === "DELETE") {
      hooks = hooks.filter((h) => h !== hook);
      return json(204);
    }
    if (request.method === "PATCH") {
      Object.assign(hook, body);
      if (body.enabled) Object.assign(hook, { disabled_reason: "", failing_since: null });
      return json(200, hook);
    }
  }
  return json(404, { detail: "Not Found" });
}

beforeEach(() => {
  calls = [];
  hooks = [];
  deliveries = {};
  createAnswer = undefined;
  localStorage.clear();
  sessionStorage.clear();
  vi.stubGlobal("fetch", vi.fn(server));
  // jsdom has no scrollIntoView.
  Element.prototype.scrollIntoView = vi.fn();
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const addForm = () => within(screen.getByRole("form", { name: "Add a webhook" }));
const secretBox = () => document.querySelector<HTMLElement>(".secret-box");
const storedText = () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage });

describe("WebhooksSection", () => {
  it("adds a webhook, shows its signing secret once, stores it nowhere, and lists it", async () => {
    render(<WebhooksSection project={project} />);
    await screen.findByText("No webhooks yet: add one below.");

    const form = addForm();
    expect(form.getByText(/Sent today: conversation\.created, message\.completed, file\.indexed, file\.failed and release\.published/)).toBeTruthy();
    fireEvent.change(form.getByLabelText("Endpoint URL"), { target: { value: " https://crm.example/hooks " } });
    fireEvent.click(form.getByRole("checkbox", { name: /^file\.failed/ }));
    fireEvent.click(form.getByRole("checkbox", { name: /^conversation\.created/ }));
    fireEvent.change(form.getByLabelText("Description"), { target: { value: "CRM" } });
    fireEvent.click(form.getByRole("button", { name: "Add webhook" }));

    await waitFor(() => expect(secretBox()).not.toBeNull());
    expect(calls.at(-1)).toEqual({
      method: "POST",
      path: "/projects/3/webhooks",
      body: { url: "https://crm.example/hooks", events: ["conversation.created", "file.failed"], description: "CRM" },
    });
    expect(within(secretBox()!).getByRole("heading").textContent).toBe("Copy the webhook's signing secret now");
    expect(within(secretBox()!).getByLabelText("Signing secret").textContent).toBe(SECRET);
    expect(document.body.textContent?.split(SECRET).length).toBe(2); // exactly once on the page
    expect(storedText()).not.toContain(SECRET);
    expect(form.getByLabelText<HTMLInputElement>("Endpoint URL").value).toBe("");

    const row = document.querySelector(".webhook-row")!;
    expect(row.textContent).toContain("https://crm.example/hooks");
    expect(row.textContent).toContain("conversation.created");
    expect(row.textContent).toContain("CRM");
    expect(row.textContent).toContain("On");

    fireEvent.click(screen.getByRole("button", { name: "I have copied it, close" }));
    expect(secretBox()).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("checks the form first, then shows the server's detail and field errors next to it", async () => {
    render(<WebhooksSection project={project} />);
    await screen.findByText("No webhooks yet: add one below.");
    const form = addForm();
    fireEvent.change(form.getByLabelText("Endpoint URL"), { target: { value: "crm.example/hooks" } });
    fireEvent.click(form.getByRole("button", { name: "Add webhook" }));
    const alert = await form.findByRole("alert");
    expect(alert.textContent).toContain("Start the URL with https:// (or http://), e.g. https://crm.example/hooks.");
    expect(alert.textContent).toContain("Choose at least one event.");
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);

    createAnswer = {
      status: 400,
      body: {
        detail: "url: 127.0.0.1 is a loopback, private or link-local address",
        errors: [{ field: "url", message: "127.0.0.1 is a loopback, private or link-local address" }],
      },
    };
    fireEvent.change(form.getByLabelText("Endpoint URL"), { target: { value: "http://127.0.0.1:9000/in" } });
    fireEvent.click(form.getByRole("checkbox", { name: /^message\.completed/ }));
    fireEvent.click(form.getByRole("button", { name: "Add webhook" }));
    await waitFor(() => expect(form.getByRole("alert").textContent).toContain("url: 127.0.0.1 is a loopback, private or link-local address"));
    expect(secretBox()).toBeNull();
    expect(form.getByLabelText<HTMLInputElement>("Endpoint URL").value).toBe("http://127.0.0.1:9000/in"); // kept to fix
  });

  it("shows why the platform turned a webhook off, and turning it on clears that", async () => {
    hooks = [
      webhook({ id: 1, enabled: false, disabled_reason: "every delivery failed for 24 hours", failing_since: "2026-11-28T08:00:00Z" }),
    ];
    render(<WebhooksSection project={project} />);
    await screen.findByText(/A webhook was turned off by the platform/);
    const row = document.querySelector(".webhook-row")!;
    expect(row.textContent).toContain("Turned off by the platform");
    expect(row.querySelector(".webhook-reason")?.textContent).toBe("every delivery failed for 24 hours");
    expect(row.textContent).toContain("Failing since");

    fireEvent.click(screen.getByRole("button", { name: "Turn on webhook crm.example/hooks" }));
    await waitFor(() => expect(screen.queryByText(/turned off by the platform/)).toBeNull());
    expect(calls.at(-1)).toEqual({ method: "PATCH", path: "/projects/3/webhooks/1", body: { enabled: true } });
    expect(document.querySelector(".webhook-row")?.textContent).not.toContain("Failing since");

    fireEvent.click(screen.getByRole("button", { name: "Turn off webhook crm.example/hooks" }));
    await screen.findByRole("button", { name: "Turn on webhook crm.example/hooks" });
    expect(calls.at(-1)).toEqual({ method: "PATCH", path: "/projects/3/webhooks/1", body: { enabled: false } });
    expect(document.querySelector(".webhook-row")?.textContent).toContain("Off");
    expect(screen.queryByText(/turned off by the platform/)).toBeNull();
  });

  it("edits a webhook with only the changes", async () => {
    hooks = [webhook({ id: 1, events: ["message.completed"], description: "CRM" })];
    render(<WebhooksSection project={project} />);
    fireEvent.click(await screen.findByRole("button", { name: "Edit webhook crm.example/hooks" }));
    const edit = within(screen.getByRole("form", { name: "Edit webhook crm.example/hooks" }));
    expect(edit.getByRole("button", { name: "Save webhook" })).toHaveProperty("disabled", true);
    fireEvent.click(edit.getByRole("checkbox", { name: /^file\.indexed/ }));
    fireEvent.change(edit.getByLabelText("Endpoint URL"), { target: { value: "https://crm.example/hooks/v2" } });
    fireEvent.click(edit.getByRole("button", { name: "Save webhook" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: /^Edit webhook/ })).toBeNull());
    expect(calls.at(-1)).toEqual({
      method: "PATCH",
      path: "/projects/3/webhooks/1",
      body: { url: "https://crm.example/hooks/v2", events: ["message.completed", "file.indexed"] },
    });
    expect(document.querySelector(".webhook-row")?.textContent).toContain("https://crm.example/hooks/v2");
  });

  it("rotates the signing secret after a confirmation showing the new one once, and deletes after another", async () => {
    hooks = [webhook({ id: 1 })];
    render(<WebhooksSection project={project} />);
    fireEvent.click(await screen.findByRole("button", { name: "Rotate secret of crm.example/hooks" }));
    fireEvent.click(screen.getByRole("button", { name: "Rotate secret", hidden: true }));
    await waitFor(() => expect(secretBox()).not.toBeNull());
    expect(calls.at(-1)).toMatchObject({ method: "POST", path: "/projects/3/webhooks/1/rotate-secret" });
    expect(within(secretBox()!).getByRole("heading").textContent).toBe("Copy the new signing secret now");
    expect(within(secretBox()!).getByLabelText("Signing secret").textContent).toBe(ROTATED);

    fireEvent.click(screen.getByRole("button", { name: "Delete webhook crm.example/hooks" }));
    fireEvent.click(screen.getByRole("button", { name: "Delete webhook", hidden: true }));
    await screen.findByText("No webhooks yet: add one below.");
    expect(calls.at(-1)).toMatchObject({ method: "DELETE", path: "/projects/3/webhooks/1" });
    expect(secretBox()).toBeNull(); // the deleted webhook's secret goes with it
  });

  it("opens a delivery log: empty for a new webhook, then rows with Redeliver and Refresh", async () => {
    hooks = [webhook({ id: 1 })];
    render(<WebhooksSection project={project} />);
    const toggle = await screen.findByRole("button", { name: "Delivery log of crm.example/hooks" });
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const log = () => within(screen.getByRole("region", { name: "Delivery log of crm.example/hooks" }));
    await log().findByText("No deliveries yet.");

    deliveries[1] = [delivery({ id: 50 }), delivery({ id: 49, status: "succeeded", attempts: 1, response_status: 200, latency_ms: 35, error: "" })];
    fireEvent.click(log().getByRole("button", { name: "Refresh the delivery log of crm.example/hooks" }));
    await waitFor(() => expect(document.querySelectorAll(".delivery-row")).toHaveLength(2));
    const [failed, delivered] = document.querySelectorAll(".delivery-row");
    expect(failed!.textContent).toContain("message.completed");
    expect(failed!.textContent).toContain("Failed");
    expect(failed!.textContent).toContain("503");
    expect(failed!.textContent).toContain("120 ms");
    expect(failed!.textContent).toContain("the endpoint answered 503");
    expect(delivered!.textContent).toContain("Delivered");

    fireEvent.click(within(failed as HTMLElement).getByRole("button", { name: /^Redeliver message\.completed/ }));
    await log().findByText("message.completed (evt_abc) is queued to be sent again.");
    expect(calls.filter((c) => c.method === "POST").at(-1)).toMatchObject({ path: "/projects/3/webhooks/1/deliveries/50/redeliver" });
    await waitFor(() => expect(document.querySelector(".delivery-row")?.textContent).toContain("Pending"));
    expect(calls.at(-1)).toMatchObject({ method: "GET", path: "/projects/3/webhooks/1/deliveries" });
  });
});
