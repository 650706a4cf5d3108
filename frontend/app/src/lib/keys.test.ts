import type { ApiKey } from "@chatbot-platform/sdk";
import { describe, expect, it } from "vitest";
import {
  dateInputToExpiry,
  draftFromKey,
  draftProblems,
  emptyDraft,
  endUserLabel,
  expiryToDateInput,
  keyBudgets,
  keyCreateBody,
  keyRowView,
  keyUpdateBody,
  openAIExamples,
  originProblem,
  parseOrigins,
  widgetSnippet,
  withOrigin,
} from "./keys";

const NOW = new Date("2026-12-01T12:00:00Z");

const key = (over: Partial<ApiKey> = {}): ApiKey => ({
  id: 7,
  project_id: 1,
  name: "Server",
  kind: "secret",
  prefix: "cb_sk_4fQ2x9",
  pinned_release: null,
  scopes: ["chat"],
  allowed_origins: [],
  expires_at: null,
  rate_limit_per_minute: null,
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

describe("originProblem", () => {
  it("accepts exact http(s)://host[:port] origins", () => {
    for (const o of ["https://example.com", "http://localhost:5173", "https://shop.example.co.uk", "http://127.0.0.1:8000", "http://[::1]:3000"]) {
      expect(originProblem(o), o).toBeUndefined();
    }
  });

  it("explains what to change, suggesting the exact origin", () => {
    expect(originProblem("example.com")).toMatch(/start with https:\/\/.*e\.g\. https:\/\/example\.com\.$/);
    expect(originProblem("example.com/shop")).toMatch(/e\.g\. https:\/\/example\.com\.$/);
    expect(originProblem("localhost:3000")).toMatch(/start with https:\/\//);
    expect(originProblem("https://example.com/")).toMatch(/no path.*use https:\/\/example\.com\.$/);
    expect(originProblem("https://example.com/shop?x=1")).toMatch(/no path.*use https:\/\/example\.com\.$/);
    expect(originProblem("https://Example.COM")).toMatch(/exactly as browsers send it: https:\/\/example\.com\.$/);
    expect(originProblem("https://example.com:443")).toMatch(/https:\/\/example\.com\.$/);
    expect(originProblem("https://*.example.com")).toMatch(/wildcards/);
    expect(originProblem("ftp://example.com")).toMatch(/only http:\/\/ and https:\/\//);
    expect(originProblem("https://user:pw@example.com")).toMatch(/no user name or password/);
    expect(originProblem("https://exa mple.com")).toMatch(/not a valid web address/);
    expect(originProblem("  ")).toMatch(/empty/);
    expect(originProblem(`https://${"a".repeat(200)}.com`)).toMatch(/at most 200/);
  });
});

describe("parseOrigins", () => {
  it("reads one origin per line, skipping blanks and repeats, and lists the problems", () => {
    expect(parseOrigins(" https://a.example\n\nhttps://a.example\r\nhttp://localhost:3000 \n")).toEqual({
      origins: ["https://a.example", "http://localhost:3000"],
      problems: [],
    });
    const { origins, problems } = parseOrigins("https://a.example\nb.example");
    expect(origins).toEqual(["https://a.example"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^b\.example: start with https:\/\//);
  });

  it("allows at most 20 origins", () => {
    const many = Array.from({ length: 21 }, (_, i) => `https://s${i}.example`).join("\n");
    expect(parseOrigins(many).problems).toEqual(["At most 20 origins per key."]);
  });

  it("adds an origin once", () => {
    expect(withOrigin(["https://a.example"], "http://127.0.0.1:8000")).toEqual(["https://a.example", "http://127.0.0.1:8000"]);
    expect(withOrigin(["https://a.example"], "https://a.example")).toEqual(["https://a.example"]);
  });
});

describe("widgetSnippet", () => {
  it("builds the embed tag from the dashboard's origin and the key", () => {
    expect(widgetSnippet("https://bots.example.com", "cb_pk_abc123")).toBe(
      '<script src="https://bots.example.com/widget.js" data-key="cb_pk_abc123" async></script>',
    );
    expect(widgetSnippet("http://127.0.0.1:8000/", "cb_pk_x")).toBe(
      '<script src="http://127.0.0.1:8000/widget.js" data-key="cb_pk_x" async></script>',
    );
  });

  it("escapes attribute values", () => {
    expect(widgetSnippet("https://a.example", 'x"><script>')).toBe(
      '<script src="https://a.example/widget.js" data-key="x&quot;>&lt;script>" async></script>',
    );
  });
});

describe("openAIExamples", () => {
  it("point the OpenAI SDKs at ORIGIN/v1 in five lines, the key from the environment", () => {
    const { python, typescript } = openAIExamples("https://bots.example.com", "gpt-4o-mini");
    expect(python.split("\n")).toHaveLength(5);
    expect(typescript.split("\n")).toHaveLength(5);
    expect(python).toContain('base_url="https://bots.example.com/v1"');
    expect(typescript).toContain('baseURL: "https://bots.example.com/v1"');
    expect(python).toContain('os.environ["CHATBOT_API_KEY"]');
    expect(typescript).toContain('model: "gpt-4o-mini"');
  });
});

describe("keyRowView", () => {
  const fmt = (iso: string) => `<${iso.slice(0, 10)}>`;

  it("formats a fresh secret key", () => {
    expect(keyRowView(key({ scopes: ["read", "chat"] }), NOW, fmt)).toEqual({
      kind: "Secret",
      scopes: "chat, read",
      origins: [],
      rateLimit: "server default",
      budgets: [],
      expires: "never",
      expired: false,
      created: "<2026-11-30>",
      lastUsed: "never",
    });
  });

  it("formats a used publishable key with limits and an expiry", () => {
    const view = keyRowView(
      key({
        kind: "publishable",
        allowed_origins: ["https://shop.example"],
        rate_limit_per_minute: 1200,
        expires_at: "2027-01-31T22:59:59Z",
        last_used_at: "2026-12-01T11:59:00Z",
      }),
      NOW,
      fmt,
    );
    expect(view).toMatchObject({
      kind: "Publishable",
      origins: ["https://shop.example"],
      rateLimit: "1,200 / min",
      expires: "<2027-01-31>",
      expired: false,
      lastUsed: "<2026-12-01>",
    });
  });

  it("marks an expired key", () => {
    const view = keyRowView(key({ expires_at: "2026-11-01T00:00:00Z" }), NOW, fmt);
    expect(view.expired).toBe(true);
    expect(view.expires).toBe("expired <2026-11-01>");
  });
});

describe("expiry dates", () => {
  it("round-trips a date input through the end of that local day", () => {
    const iso = dateInputToExpiry("2027-03-04");
    expect(iso).toBeDefined();
    const d = new Date(iso!);
    expect([d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()]).toEqual([2027, 3, 4, 23, 59]);
    expect(expiryToDateInput(iso!)).toBe("2027-03-04");
    expect(expiryToDateInput(null)).toBe("");
    expect(dateInputToExpiry("")).toBeUndefined();
  });
});

describe("drafts", () => {
  it("checks name, scopes, origins, limits and expiry", () => {
    expect(draftProblems({ ...emptyDraft(), name: "Server" }, NOW)).toEqual([]);
    const bad = draftProblems({ ...emptyDraft(), scopes: [], rateLimit: "0", expiresOn: "2020-01-01" }, NOW);
    expect(bad).toHaveLength(4);
    const pub = draftProblems(
      { ...emptyDraft("publishable"), name: "Site", originsText: "shop.example", visitorMessagesPerDay: "1.5" },
      NOW,
    );
    expect(pub).toHaveLength(2);
    expect(pub[0]).toMatch(/start with https/);
    expect(draftProblems({ ...emptyDraft(), name: "S", expiresOn: "2020-01-01" }, NOW, { expiryUnchanged: true })).toEqual([]);
  });

  it("creates a secret key with its scopes only, a publishable key with origins and visitor limits", () => {
    expect(keyCreateBody({ ...emptyDraft(), name: " Server ", scopes: ["read", "chat"] })).toEqual({
      name: "Server",
      kind: "secret",
      scopes: ["chat", "read"],
    });
    const body = keyCreateBody({
      ...emptyDraft("publishable"),
      name: "Site",
      originsText: "https://shop.example\n",
      rateLimit: "30",
      expiresOn: "2027-01-31",
    });
    expect(body).toMatchObject({
      name: "Site",
      kind: "publishable",
      allowed_origins: ["https://shop.example"],
      require_signed_user: false,
      visitor_messages_per_day: 50,
      rate_limit_per_minute: 30,
    });
    expect(body.scopes).toBeUndefined();
    expect(body.expires_at).toBe(dateInputToExpiry("2027-01-31"));
  });

  it("patches only what changed, with null to clear the expiry and the rate limit", () => {
    const k = key({ rate_limit_per_minute: 60, expires_at: "2027-01-31T22:59:59Z" });
    expect(keyUpdateBody(k, draftFromKey(k))).toEqual({});
    expect(keyUpdateBody(k, { ...draftFromKey(k), rateLimit: "", expiresOn: "" })).toEqual({
      rate_limit_per_minute: null,
      expires_at: null,
    });
    expect(keyUpdateBody(k, { ...draftFromKey(k), name: "Backend", scopes: ["write", "chat"] })).toEqual({
      name: "Backend",
      scopes: ["chat", "write"],
    });
    const p = key({ kind: "publishable", allowed_origins: ["https://a.example"] });
    expect(keyUpdateBody(p, { ...draftFromKey(p), originsText: "https://a.example\nhttp://127.0.0.1:8000", visitorMessagesPerDay: "10" })).toEqual({
      allowed_origins: ["https://a.example", "http://127.0.0.1:8000"],
      visitor_messages_per_day: 10,
    });
  });
});

describe("key budgets", () => {
  it("creates a key with the budgets given, none for empty fields", () => {
    const body = keyCreateBody({ ...emptyDraft(), name: "Server", budgetUsd: "5", budgetTokens: "", endUserDailyTokens: "2,000", endUserMonthlyTokens: "50000" });
    expect(body).toEqual({
      name: "Server",
      kind: "secret",
      scopes: ["chat"],
      budget_monthly_usd: 5,
      end_user_daily_tokens: 2000,
      end_user_monthly_tokens: 50000,
    });
    expect(keyCreateBody({ ...emptyDraft(), name: "Server" })).not.toHaveProperty("budget_monthly_tokens");
  });

  it("edits budgets: a new value is sent, a cleared one is sent as null, an unchanged one not at all", () => {
    const k = key({ budget_monthly_usd: 5, end_user_daily_tokens: 2000 });
    const draft = draftFromKey(k);
    expect(draft).toMatchObject({ budgetUsd: "5", budgetTokens: "", endUserDailyTokens: "2000", endUserMonthlyTokens: "" });
    expect(keyUpdateBody(k, draft)).toEqual({});
    expect(keyUpdateBody(k, { ...draft, budgetUsd: "", budgetTokens: "100000" })).toEqual({
      budget_monthly_usd: null,
      budget_monthly_tokens: 100000,
    });
    expect(keyUpdateBody(k, { ...draft, budgetUsd: "5.00", endUserDailyTokens: "" })).toEqual({ end_user_daily_tokens: null });
  });

  it("explains budgets the server would refuse", () => {
    const problems = draftProblems(
      { ...emptyDraft(), name: "S", budgetUsd: "-2", budgetTokens: "0", endUserDailyTokens: "1.5", endUserMonthlyTokens: "lots" },
      NOW,
    );
    expect(problems).toEqual([
      "USD per month: an amount in US dollars from 0 to 1,000,000, or empty for none.",
      "Tokens per month: a whole number of tokens from 1 to 1,000,000,000,000, or empty for none.",
      "Tokens per end user per day: a whole number of tokens from 1 to 1,000,000,000,000, or empty for none.",
      "Tokens per end user per month: a whole number of tokens from 1 to 1,000,000,000,000, or empty for none.",
    ]);
  });

  it("lists a key's budgets compactly for the table", () => {
    expect(keyBudgets(key())).toEqual([]);
    expect(
      keyBudgets(key({ budget_monthly_usd: 2, budget_monthly_tokens: 50_000, end_user_daily_tokens: 2000, end_user_monthly_tokens: 1_500_000 })),
    ).toEqual(["$2.00 / month", "50K tokens / month", "2K tokens / user / day", "1.5M tokens / user / month"]);
  });
});

describe("endUserLabel", () => {
  it("shows signed users as they are and anonymous visitors by a short id", () => {
    expect(endUserLabel("alice@example.com")).toBe("alice@example.com");
    expect(endUserLabel("visitor:AbCdEfGh12345678")).toBe("anonymous visitor AbCdEfGh…");
    expect(endUserLabel("visitor:abc")).toBe("anonymous visitor abc");
  });
});
