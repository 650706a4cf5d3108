import { createHmac, timingSafeEqual } from "node:crypto";
import type { Webhook, WebhookDelivery } from "@chatbot-platform/sdk";
import { describe, expect, it } from "vitest";
import {
  EVENT_HINTS,
  EVENT_TYPES,
  VERIFY_SNIPPET,
  deliveryRowView,
  draftFromWebhook,
  emptyWebhookDraft,
  urlProblem,
  webhookCreateBody,
  webhookDraftProblems,
  webhookName,
  webhookStatus,
  webhookUpdateBody,
} from "./webhooks";

const hook = (over: Partial<Webhook> = {}): Webhook => ({
  id: 4,
  project_id: 1,
  url: "https://example.com/hooks",
  events: ["conversation.created", "message.completed"],
  description: "CRM",
  enabled: true,
  disabled_reason: "",
  failing_since: null,
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
  ...over,
});

const delivery = (over: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id: 9,
  event_id: "evt_1",
  event_type: "message.completed",
  status: "succeeded",
  attempts: 1,
  response_status: 200,
  latency_ms: 42,
  error: "",
  created_at: "2026-11-30T10:00:00Z",
  last_attempt_at: "2026-11-30T10:00:01Z",
  ...over,
});

const day = (iso: string) => iso.slice(0, 10);

describe("event types", () => {
  it("lists every type once, each with a hint", () => {
    expect(new Set(EVENT_TYPES).size).toBe(9);
    for (const e of EVENT_TYPES) expect(EVENT_HINTS[e]).toBeTruthy();
  });
});

describe("urlProblem", () => {
  it.each([
    ["https://example.com/hooks", undefined],
    ["  http://127.0.0.1:9000/in  ", undefined],
    ["", "Enter the URL that receives the events, e.g. https://example.com/hooks/chatbot."],
    ["example.com/hooks", "Start the URL with https:// (or http://), e.g. https://example.com/hooks."],
    ["ftp://example.com/x", "Only https:// (or http://) URLs can receive webhooks."],
    ["https://user:pw@example.com/", "Leave the user name and password out of the URL."],
    ["https://exa mple.com/", "https://exa mple.com/ is not a valid web address."],
    [`https://example.com/${"a".repeat(2048)}`, "The URL has at most 2048 bytes."],
  ])("%j", (value, want) => {
    expect(urlProblem(value)).toBe(want);
  });
});

describe("drafts and bodies", () => {
  it("asks for a URL and at least one event", () => {
    expect(webhookDraftProblems(emptyWebhookDraft())).toEqual([
      "Enter the URL that receives the events, e.g. https://example.com/hooks/chatbot.",
      "Choose at least one event.",
    ]);
    expect(webhookDraftProblems({ url: "https://x.example", events: ["file.failed"], description: "é".repeat(501) })).toEqual([
      "The description has at most 500 characters.",
    ]);
  });

  it("creates with trimmed values in the list's order, leaving out an empty description", () => {
    expect(webhookCreateBody({ url: " https://x.example/in ", events: ["file.failed", "message.completed"], description: "  " })).toEqual({
      url: "https://x.example/in",
      events: ["message.completed", "file.failed"],
    });
    expect(webhookCreateBody({ url: "https://x.example", events: ["file.indexed"], description: " CRM " })).toEqual({
      url: "https://x.example",
      events: ["file.indexed"],
      description: "CRM",
    });
  });

  it("updates only what changed; the events' order does not count as a change", () => {
    const h = hook();
    expect(webhookUpdateBody(h, draftFromWebhook(h))).toEqual({});
    expect(webhookUpdateBody(h, { ...draftFromWebhook(h), events: ["message.completed", "conversation.created"] })).toEqual({});
    expect(webhookUpdateBody(h, { url: "https://example.com/v2 ", events: ["file.failed"], description: "" })).toEqual({
      url: "https://example.com/v2",
      events: ["file.failed"],
      description: "",
    });
  });
});

describe("webhookStatus", () => {
  it("says on, off, or turned off by the platform with its reason and failure clock", () => {
    expect(webhookStatus(hook(), day)).toEqual({ label: "On", tone: "on", reason: "", failing: "" });
    expect(webhookStatus(hook({ failing_since: "2026-11-29T08:00:00Z" }), day).failing).toBe("Failing since 2026-11-29");
    expect(webhookStatus(hook({ enabled: false }), day)).toEqual({ label: "Off", tone: "off", reason: "", failing: "" });
    expect(
      webhookStatus(hook({ enabled: false, disabled_reason: "every delivery failed for 24 hours", failing_since: "2026-11-28T08:00:00Z" }), day),
    ).toEqual({
      label: "Turned off by the platform",
      tone: "disabled",
      reason: "every delivery failed for 24 hours",
      failing: "Failing since 2026-11-28",
    });
  });

  it("names a webhook by its URL without the scheme", () => {
    expect(webhookName(hook({ url: "https://example.com/hooks?a=1" }))).toBe("example.com/hooks?a=1");
  });
});

describe("deliveryRowView", () => {
  it("shows a delivered event", () => {
    expect(deliveryRowView(delivery(), day)).toEqual({
      time: "2026-11-30",
      lastAttempt: "2026-11-30",
      status: "Delivered",
      statusClass: "status-completed",
      attempts: "1",
      response: "200",
      latency: "42 ms",
      error: "—",
    });
  });

  it("shows a failed one with its error, and one never tried", () => {
    const failed = deliveryRowView(delivery({ status: "failed", attempts: 7, response_status: 500, latency_ms: 1500, error: "HTTP 500" }), day);
    expect(failed).toMatchObject({ status: "Failed", statusClass: "status-failed", attempts: "7", response: "500", latency: "1.5 s", error: "HTTP 500" });
    const pending = deliveryRowView(delivery({ status: "pending", attempts: 0, response_status: null, latency_ms: null, last_attempt_at: null }), day);
    expect(pending).toMatchObject({ status: "Pending", statusClass: "status-in_progress", response: "—", latency: "—", lastAttempt: "not tried yet" });
  });
});

describe("VERIFY_SNIPPET", () => {
  // The Standard Webhooks specification's own example: this secret signs this message so.
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const timestamp = "1614265330";
  const body = '{"test": 2432232314}';
  const verify = (signature: string): boolean => {
    const code = VERIFY_SNIPPET.split("\n").filter((l) => !l.startsWith("import ")).join("\n");
    return new Function("createHmac", "timingSafeEqual", "Buffer", "secret", "id", "timestamp", "body", "signature", `${code}\nreturn ok;`)(
      createHmac, timingSafeEqual, Buffer, secret, id, timestamp, body, signature,
    ) as boolean;
  };

  it("accepts the specification's example signature among others, and refuses a wrong one", () => {
    expect(verify("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")).toBe(true);
    expect(verify("v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")).toBe(true);
    expect(verify("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=")).toBe(false);
  });
});
