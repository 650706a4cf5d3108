import type { Webhook, WebhookCreate, WebhookDelivery, WebhookEventType, WebhookUpdate } from "@chatbot-platform/sdk";
import { formatDateTime, formatMs } from "./format";

/** Every event type a webhook may subscribe to, in the order of WebhookEventType in api/openapi.yaml. */
export const EVENT_TYPES: readonly WebhookEventType[] = [
  "message.completed",
  "conversation.created",
  "file.indexed",
  "file.failed",
  "feedback.created",
  "budget.threshold",
  "budget.exhausted",
  "release.published",
  "eval_run.completed",
];

export const EVENT_HINTS: Record<WebhookEventType, string> = {
  "message.completed": "the bot finished a reply (its text, model and tokens)",
  "conversation.created": "someone started a new conversation",
  "file.indexed": "a knowledge file is ready for chat",
  "file.failed": "a knowledge file could not be indexed",
  "feedback.created": "someone rated a reply",
  "budget.threshold": "spending passed a warning level of a budget",
  "budget.exhausted": "a budget is spent and chat is refused",
  "release.published": "a new version of the bot was published",
  "eval_run.completed": "an evaluation run finished",
};

/** Limits of WebhookCreate/WebhookUpdate in api/openapi.yaml. */
export const LIMITS = { url: 2048, description: 500 } as const;

/** What the create and edit forms hold, as typed. */
export interface WebhookDraft {
  url: string;
  events: WebhookEventType[];
  description: string;
}

export function emptyWebhookDraft(): WebhookDraft {
  return { url: "", events: [], description: "" };
}

export function draftFromWebhook(hook: Webhook): WebhookDraft {
  return { url: hook.url, events: sortEvents(hook.events), description: hook.description };
}

/** The events in the order the forms list them, each once. */
export function sortEvents(events: readonly WebhookEventType[]): WebhookEventType[] {
  return EVENT_TYPES.filter((e) => events.includes(e));
}

/**
 * Why `value` is not a URL the server would take, as a sentence for a person; undefined when it may be one. The
 * server also refuses hosts on loopback, private or link-local addresses, which a browser cannot check.
 */
export function urlProblem(value: string): string | undefined {
  const text = value.trim();
  if (text === "") return "Enter the URL that receives the events, e.g. https://example.com/hooks/chatbot.";
  if (new TextEncoder().encode(text).length > LIMITS.url) return `The URL has at most ${LIMITS.url} bytes.`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return `Start the URL with https:// (or http://), e.g. https://${text.replace(/^\/+/, "")}.`;
  if (scheme !== "https" && scheme !== "http") return "Only https:// (or http://) URLs can receive webhooks.";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${text} is not a valid web address.`;
  }
  if (url.hostname === "") return "The URL's host name is missing.";
  if (url.username || url.password) return "Leave the user name and password out of the URL.";
  return undefined;
}

/** What is wrong with a draft, one sentence each (empty when it can be sent). */
export function webhookDraftProblems(draft: WebhookDraft): string[] {
  const problems: string[] = [];
  const url = urlProblem(draft.url);
  if (url) problems.push(url);
  if (draft.events.length === 0) problems.push("Choose at least one event.");
  if ([...draft.description.trim()].length > LIMITS.description) {
    problems.push(`The description has at most ${LIMITS.description} characters.`);
  }
  return problems;
}

/** The body of POST /projects/{id}/webhooks for a draft that has no problems. */
export function webhookCreateBody(draft: WebhookDraft): WebhookCreate {
  const body: WebhookCreate = { url: draft.url.trim(), events: sortEvents(draft.events) };
  const description = draft.description.trim();
  if (description !== "") body.description = description;
  return body;
}

/** The body of PATCH .../webhooks/{id}: only what the draft changed (empty when nothing did). */
export function webhookUpdateBody(hook: Webhook, draft: WebhookDraft): WebhookUpdate {
  const body: WebhookUpdate = {};
  const url = draft.url.trim();
  if (url !== hook.url) body.url = url;
  const events = sortEvents(draft.events);
  const before = sortEvents(hook.events);
  if (events.length !== before.length || events.some((e, i) => e !== before[i])) body.events = events;
  const description = draft.description.trim();
  if (description !== hook.description) body.description = description;
  return body;
}

/** A webhook's state as the table shows it. */
export interface WebhookStatusView {
  /** "On", "Off", or "Turned off by the platform". */
  label: string;
  tone: "on" | "off" | "disabled";
  /** Why the platform turned it off; empty otherwise. */
  reason: string;
  /** "Failing since …" while attempts fail; empty otherwise. */
  failing: string;
}

export function webhookStatus(hook: Webhook, format: (iso: string) => string = formatDateTime): WebhookStatusView {
  const failing = hook.failing_since ? `Failing since ${format(hook.failing_since)}` : "";
  if (hook.enabled) return { label: "On", tone: "on", reason: "", failing };
  if (hook.disabled_reason) return { label: "Turned off by the platform", tone: "disabled", reason: hook.disabled_reason, failing };
  return { label: "Off", tone: "off", reason: "", failing: "" };
}

/** A short name for a webhook in buttons' accessible names: its URL without the scheme. */
export function webhookName(hook: Pick<Webhook, "url">): string {
  return hook.url.replace(/^https?:\/\//i, "");
}

const DELIVERY_STATUS: Record<WebhookDelivery["status"], string> = {
  pending: "Pending",
  succeeded: "Delivered",
  failed: "Failed",
};

/** A delivery as the log shows it: every cell as text. */
export interface DeliveryRowView {
  time: string;
  lastAttempt: string;
  status: string;
  /** The badge's class: the colours of the file statuses. */
  statusClass: string;
  attempts: string;
  response: string;
  latency: string;
  error: string;
}

export function deliveryRowView(d: WebhookDelivery, format: (iso: string) => string = formatDateTime): DeliveryRowView {
  return {
    time: format(d.created_at),
    lastAttempt: d.last_attempt_at ? format(d.last_attempt_at) : "not tried yet",
    status: DELIVERY_STATUS[d.status] ?? d.status,
    statusClass: d.status === "succeeded" ? "status-completed" : d.status === "failed" ? "status-failed" : "status-in_progress",
    attempts: String(d.attempts),
    response: d.response_status === null ? "—" : String(d.response_status),
    latency: d.latency_ms === null ? "—" : formatMs(d.latency_ms),
    error: d.error || "—",
  };
}

/** How a receiver checks a delivery's signature in Node.js (Standard Webhooks), for the help text. */
export const VERIFY_SNIPPET = [
  'import { createHmac, timingSafeEqual } from "node:crypto";',
  "// id, timestamp, signature: the webhook-id, webhook-timestamp and webhook-signature headers; body: the raw body.",
  'const key = Buffer.from(secret.slice("whsec_".length), "base64");',
  'const expected = "v1," + createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");',
  'const ok = signature.split(" ").some((s) => s.length === expected.length && timingSafeEqual(Buffer.from(s), Buffer.from(expected)));',
].join("\n");
