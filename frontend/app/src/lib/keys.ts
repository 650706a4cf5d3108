import type { ApiKey, KeyCreate, KeyKind, KeyScope, KeyUpdate } from "@chatbot-platform/sdk";
import { formatCompact, formatDateTime, formatUSD } from "./format";
import { parseUSD, parseWhole, tokensFieldProblem, usdFieldProblem } from "./amounts";

/** Every scope a secret key can have, in the order the forms list them. */
export const SCOPES: readonly KeyScope[] = ["chat", "read", "write"];

export const SCOPE_HINTS: Record<KeyScope, string> = {
  chat: "chat, and the conversations the key started",
  read: "read the project, prompts, files and all conversations",
  write: "change prompts, chat settings and files",
};

export const KIND_LABELS: Record<KeyKind, string> = { secret: "Secret", publishable: "Publishable" };

/** Limits of KeyCreate/KeyUpdate in api/openapi.yaml. */
export const LIMITS = {
  name: 100,
  origins: 20,
  originLength: 200,
  perMinute: 100_000,
  perDay: 100_000,
  budgetUsd: 1_000_000,
  budgetTokens: 1_000_000_000_000,
} as const;

export const DEFAULT_VISITOR_MESSAGES_PER_DAY = 50;

/**
 * Why `value` is not an origin the server accepts (exactly `http(s)://host[:port]`, as browsers send it in the
 * Origin header), as a sentence for a person; undefined when it is one.
 */
export function originProblem(value: string): string | undefined {
  const text = value.trim();
  if (text === "") return "An origin cannot be empty.";
  if (text.length > LIMITS.originLength) return `${shorten(text)}: at most ${LIMITS.originLength} characters.`;
  if (text.includes("*")) return `${text}: wildcards are not supported; list each origin, e.g. https://shop.example.com.`;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || !text.slice(scheme.length + 1).startsWith("//")) {
    return `${text}: start with https:// (or http://), e.g. ${suggestOrigin(text)}.`;
  }
  if (scheme !== "http" && scheme !== "https") return `${text}: only http:// and https:// origins can embed the widget.`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${text}: not a valid web address.`;
  }
  if (url.hostname === "") return `${text}: the host name is missing.`;
  if (url.username || url.password) return `${text}: an origin has no user name or password; use ${url.origin}.`;
  if (url.origin === text) return undefined;
  const afterHost = text.slice(text.indexOf("//") + 2).replace(/^[^/?#]*/, "");
  if (afterHost !== "") return `${text}: an origin has no path, query or trailing slash; use ${url.origin}.`;
  return `${text}: write it exactly as browsers send it: ${url.origin}.`;
}

/** The origins of a textarea (one per line, blank lines skipped, duplicates once) and what is wrong with them. */
export function parseOrigins(text: string): { origins: string[]; problems: string[] } {
  const origins: string[] = [];
  const problems: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const origin = line.trim();
    if (origin === "" || origins.includes(origin)) continue;
    const problem = originProblem(origin);
    if (problem) problems.push(problem);
    else origins.push(origin);
  }
  if (origins.length > LIMITS.origins) problems.push(`At most ${LIMITS.origins} origins per key.`);
  return { origins, problems };
}

/** The origins with `origin` added at the end (unchanged when already there). */
export function withOrigin(origins: readonly string[], origin: string): string[] {
  return origins.includes(origin) ? [...origins] : [...origins, origin];
}

const attr = (value: string) => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The tag a site pastes to embed the widget: `<script src="ORIGIN/widget.js" data-key="..." async></script>`. */
export function widgetSnippet(origin: string, key: string): string {
  return `<script src="${attr(`${origin.replace(/\/+$/, "")}/widget.js`)}" data-key="${attr(key)}" async></script>`;
}

/** The optional attributes of the widget's tag, for the help text. */
export const WIDGET_ATTRIBUTES: readonly { name: string; meaning: string }[] = [
  { name: "data-title", meaning: "the title in the widget's header" },
  { name: "data-greeting", meaning: "the first message visitors see" },
  { name: "data-color", meaning: "the accent colour, e.g. #4f46e5" },
  { name: "data-user", meaning: "your signed-in visitor's user id" },
  { name: "data-user-hash", meaning: "hex HMAC-SHA256 of data-user with the identity secret, made by your backend" },
];

/** The 5-line examples that call the bot through the OpenAI-compatible endpoint with a secret key. */
export function openAIExamples(origin: string, model: string): { python: string; typescript: string } {
  const base = `${origin.replace(/\/+$/, "")}/v1`;
  const json = (s: string) => JSON.stringify(s);
  return {
    python: [
      "import os",
      "from openai import OpenAI",
      `client = OpenAI(base_url=${json(base)}, api_key=os.environ["CHATBOT_API_KEY"])`,
      `reply = client.chat.completions.create(model=${json(model)}, messages=[{"role": "user", "content": "Hello"}])`,
      "print(reply.choices[0].message.content)",
    ].join("\n"),
    typescript: [
      'import OpenAI from "openai";',
      `const client = new OpenAI({ baseURL: ${json(base)}, apiKey: process.env.CHATBOT_API_KEY });`,
      `const reply = await client.chat.completions.create({`,
      `  model: ${json(model)}, messages: [{ role: "user", content: "Hello" }] });`,
      "console.log(reply.choices[0].message.content);",
    ].join("\n"),
  };
}

/** A key as the keys table shows it: every cell as text. */
export interface KeyRowView {
  kind: string;
  scopes: string;
  origins: string[];
  rateLimit: string;
  /** The key's budgets, one short phrase each; empty for none. */
  budgets: string[];
  expires: string;
  expired: boolean;
  created: string;
  lastUsed: string;
}

export function keyRowView(key: ApiKey, now: Date, format: (iso: string) => string = formatDateTime): KeyRowView {
  const expired = key.expires_at !== null && new Date(key.expires_at).getTime() <= now.getTime();
  return {
    kind: KIND_LABELS[key.kind] ?? key.kind,
    scopes: SCOPES.filter((s) => key.scopes.includes(s)).join(", ") || "none",
    origins: key.kind === "publishable" ? key.allowed_origins : [],
    rateLimit: key.rate_limit_per_minute === null ? "server default" : `${key.rate_limit_per_minute.toLocaleString("en-US")} / min`,
    budgets: keyBudgets(key),
    expires: key.expires_at === null ? "never" : `${expired ? "expired " : ""}${format(key.expires_at)}`,
    expired,
    created: format(key.created_at),
    lastUsed: key.last_used_at === null ? "never" : format(key.last_used_at),
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A date as an `<input type="date">` value, in the reader's time zone. */
export function toDateInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** An expiry timestamp as a date input value ("" for none). */
export function expiryToDateInput(iso: string | null): string {
  if (iso === null) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : toDateInput(date);
}

/** A date input value as the expiry sent to the server: the key works through the end of that day, local time. */
export function dateInputToExpiry(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** What the create and edit forms hold, as typed. */
export interface KeyDraft {
  name: string;
  kind: KeyKind;
  scopes: KeyScope[];
  originsText: string;
  requireSignedUser: boolean;
  visitorMessagesPerDay: string;
  /** "" for the server's default. */
  rateLimit: string;
  /** A date input value; "" for never. */
  expiresOn: string;
  /** The budgets as typed; "" for none. */
  budgetUsd: string;
  budgetTokens: string;
  endUserDailyTokens: string;
  endUserMonthlyTokens: string;
}

export function emptyDraft(kind: KeyKind = "secret"): KeyDraft {
  return {
    name: "",
    kind,
    scopes: ["chat"],
    originsText: "",
    requireSignedUser: false,
    visitorMessagesPerDay: String(DEFAULT_VISITOR_MESSAGES_PER_DAY),
    rateLimit: "",
    expiresOn: "",
    budgetUsd: "",
    budgetTokens: "",
    endUserDailyTokens: "",
    endUserMonthlyTokens: "",
  };
}

export function draftFromKey(key: ApiKey): KeyDraft {
  return {
    name: key.name,
    kind: key.kind,
    scopes: SCOPES.filter((s) => key.scopes.includes(s)),
    originsText: key.allowed_origins.join("\n"),
    requireSignedUser: key.require_signed_user,
    visitorMessagesPerDay: String(key.visitor_messages_per_day),
    rateLimit: key.rate_limit_per_minute === null ? "" : String(key.rate_limit_per_minute),
    expiresOn: expiryToDateInput(key.expires_at),
    budgetUsd: key.budget_monthly_usd === null ? "" : String(key.budget_monthly_usd),
    budgetTokens: numberText(key.budget_monthly_tokens),
    endUserDailyTokens: numberText(key.end_user_daily_tokens),
    endUserMonthlyTokens: numberText(key.end_user_monthly_tokens),
  };
}

function wholeNumber(text: string, max: number): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 && n <= max ? n : undefined;
}

/**
 * What is wrong with a draft, one sentence each (empty when it can be sent). `expiryUnchanged` skips the
 * future-date check for an edit that keeps a key's current expiry.
 */
export function draftProblems(draft: KeyDraft, now: Date, { expiryUnchanged = false } = {}): string[] {
  const problems: string[] = [];
  const name = draft.name.trim();
  if (name === "") problems.push("Give the key a name.");
  else if ([...name].length > LIMITS.name) problems.push(`The name has at most ${LIMITS.name} characters.`);
  if (draft.kind === "secret" && draft.scopes.length === 0) problems.push("Choose at least one scope.");
  if (draft.kind === "publishable") {
    problems.push(...parseOrigins(draft.originsText).problems);
    if (wholeNumber(draft.visitorMessagesPerDay, LIMITS.perDay) === undefined) {
      problems.push(`Messages per visitor per day: a whole number from 1 to ${LIMITS.perDay.toLocaleString("en-US")}.`);
    }
  }
  if (draft.rateLimit.trim() !== "" && wholeNumber(draft.rateLimit, LIMITS.perMinute) === undefined) {
    problems.push(`Rate limit: a whole number of requests per minute from 1 to ${LIMITS.perMinute.toLocaleString("en-US")}, or empty for the server's default.`);
  }
  problems.push(...keyBudgetProblems(draft));
  if (draft.expiresOn !== "" && !expiryUnchanged) {
    const expiry = dateInputToExpiry(draft.expiresOn);
    if (expiry === undefined) problems.push("Expiry: not a valid date.");
    else if (new Date(expiry).getTime() <= now.getTime()) problems.push("Expiry: choose today or a later date.");
  }
  return problems;
}

/** The body of POST /projects/{id}/keys for a draft that has no problems. */
export function keyCreateBody(draft: KeyDraft): KeyCreate {
  const body: KeyCreate = { name: draft.name.trim(), kind: draft.kind };
  if (draft.kind === "secret") body.scopes = SCOPES.filter((s) => draft.scopes.includes(s));
  else {
    body.allowed_origins = parseOrigins(draft.originsText).origins;
    body.require_signed_user = draft.requireSignedUser;
    body.visitor_messages_per_day = Number(draft.visitorMessagesPerDay.trim());
  }
  if (draft.rateLimit.trim() !== "") body.rate_limit_per_minute = Number(draft.rateLimit.trim());
  const expiry = dateInputToExpiry(draft.expiresOn);
  if (expiry) body.expires_at = expiry;
  const budgets = draftBudgets(draft);
  if (budgets.budget_monthly_usd !== null) body.budget_monthly_usd = budgets.budget_monthly_usd;
  if (budgets.budget_monthly_tokens !== null) body.budget_monthly_tokens = budgets.budget_monthly_tokens;
  if (budgets.end_user_daily_tokens !== null) body.end_user_daily_tokens = budgets.end_user_daily_tokens;
  if (budgets.end_user_monthly_tokens !== null) body.end_user_monthly_tokens = budgets.end_user_monthly_tokens;
  return body;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The PATCH body that turns `key` into `draft`: only what changed; null clears the expiry or the rate limit. */
export function keyUpdateBody(key: ApiKey, draft: KeyDraft): KeyUpdate {
  const before = draftFromKey(key);
  const body: KeyUpdate = {};
  if (draft.name.trim() !== key.name) body.name = draft.name.trim();
  if (key.kind === "secret") {
    const scopes = SCOPES.filter((s) => draft.scopes.includes(s));
    if (!sameList(scopes, before.scopes)) body.scopes = scopes;
  } else {
    const { origins } = parseOrigins(draft.originsText);
    if (!sameList(origins, key.allowed_origins)) body.allowed_origins = origins;
    if (draft.requireSignedUser !== key.require_signed_user) body.require_signed_user = draft.requireSignedUser;
    const perDay = Number(draft.visitorMessagesPerDay.trim());
    if (perDay !== key.visitor_messages_per_day) body.visitor_messages_per_day = perDay;
  }
  const rate = draft.rateLimit.trim() === "" ? null : Number(draft.rateLimit.trim());
  if (rate !== key.rate_limit_per_minute) body.rate_limit_per_minute = rate;
  if (draft.expiresOn !== before.expiresOn) body.expires_at = draft.expiresOn === "" ? null : (dateInputToExpiry(draft.expiresOn) ?? null);
  const budgets = draftBudgets(draft);
  for (const field of BUDGET_FIELDS) {
    if (budgets[field] !== key[field]) body[field] = budgets[field];
  }
  return body;
}

/** "example.com/shop" → "https://example.com": the origin someone probably meant. */
function suggestOrigin(text: string): string {
  try {
    return new URL(`https://${text.replace(/^\/+/, "")}`).origin;
  } catch {
    return "https://www.example.com";
  }
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** How a conversation's end user is shown: an anonymous widget visitor (`visitor:<id>`) by a short id. */
export function endUserLabel(endUser: string): string {
  if (!endUser.startsWith("visitor:")) return endUser;
  const id = endUser.slice("visitor:".length);
  return `anonymous visitor ${id.length > 8 ? `${id.slice(0, 8)}…` : id}`;
}

/** The four budget fields of a key, in the order the forms and the table show them. */
const BUDGET_FIELDS = ["budget_monthly_usd", "budget_monthly_tokens", "end_user_daily_tokens", "end_user_monthly_tokens"] as const;

type KeyBudgets = Pick<ApiKey, (typeof BUDGET_FIELDS)[number]>;

const numberText = (n: number | null) => (n === null ? "" : String(n));

/** What is wrong with a draft's budgets ("" is none), one sentence each. */
function keyBudgetProblems(draft: KeyDraft): string[] {
  return [
    usdFieldProblem("USD per month", draft.budgetUsd, LIMITS.budgetUsd),
    tokensFieldProblem("Tokens per month", draft.budgetTokens, LIMITS.budgetTokens),
    tokensFieldProblem("Tokens per end user per day", draft.endUserDailyTokens, LIMITS.budgetTokens),
    tokensFieldProblem("Tokens per end user per month", draft.endUserMonthlyTokens, LIMITS.budgetTokens),
  ].filter((p): p is string => p !== undefined);
}

/** A draft's budgets as the API holds them: null for none. */
function draftBudgets(draft: KeyDraft): KeyBudgets {
  const tokens = (text: string) => (text.trim() === "" ? null : (parseWhole(text, LIMITS.budgetTokens) ?? null));
  return {
    budget_monthly_usd: draft.budgetUsd.trim() === "" ? null : (parseUSD(draft.budgetUsd, LIMITS.budgetUsd) ?? null),
    budget_monthly_tokens: tokens(draft.budgetTokens),
    end_user_daily_tokens: tokens(draft.endUserDailyTokens),
    end_user_monthly_tokens: tokens(draft.endUserMonthlyTokens),
  };
}

/** A key's budgets for the keys table, compactly: "$5.00 / month", "2K tokens / user / day"; empty for none. */
export function keyBudgets(key: KeyBudgets): string[] {
  const out: string[] = [];
  if (key.budget_monthly_usd !== null) out.push(`${formatUSD(key.budget_monthly_usd)} / month`);
  if (key.budget_monthly_tokens !== null) out.push(`${formatCompact(key.budget_monthly_tokens)} tokens / month`);
  if (key.end_user_daily_tokens !== null) out.push(`${formatCompact(key.end_user_daily_tokens)} tokens / user / day`);
  if (key.end_user_monthly_tokens !== null) out.push(`${formatCompact(key.end_user_monthly_tokens)} tokens / user / month`);
  return out;
}
