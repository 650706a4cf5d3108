import type { UsageGroup } from "@chatbot-platform/sdk";
import { describe, expect, it } from "vitest";
import {
  budgetBody,
  budgetDraft,
  budgetProblems,
  budgetShare,
  csvFilename,
  dailySeries,
  fileSlug,
  groupLabel,
  rangeQuery,
  usageRange,
} from "./usage";
import { parseUSD, parseWhole } from "./amounts";

const NOW = new Date("2026-12-07T15:30:00Z");

const group = (over: Partial<UsageGroup>): UsageGroup => ({
  group: "2026-12-01",
  label: "2026-12-01",
  requests: 0,
  errors: 0,
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  total_tokens: 0,
  cost_usd: 0,
  latency_p50_ms: 0,
  latency_p95_ms: 0,
  ...over,
});

describe("usageRange", () => {
  it("this month starts on the first UTC day of the month and ends now", () => {
    const r = usageRange("month", NOW);
    expect(r.from.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(r.to).toBe(NOW);
    expect(r.days).toEqual(["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07"]);
    expect(rangeQuery(r)).toEqual({ from: "2026-12-01T00:00:00.000Z", to: "2026-12-07T15:30:00.000Z" });
  });

  it("the last 7 and 30 days count today and cross month and year ends", () => {
    const week = usageRange("7d", NOW);
    expect(week.days).toHaveLength(7);
    expect(week.from.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(week.days.at(-1)).toBe("2026-12-07");

    const month = usageRange("30d", new Date("2027-01-03T00:10:00Z"));
    expect(month.days).toHaveLength(30);
    expect(month.days[0]).toBe("2026-12-05");
    expect(month.days.at(-1)).toBe("2027-01-03");
  });

  it("uses UTC days whatever the clock's zone: just after midnight UTC is already the new day", () => {
    const r = usageRange("month", new Date("2027-03-01T00:00:01Z"));
    expect(r.from.toISOString()).toBe("2027-03-01T00:00:00.000Z");
    expect(r.days).toEqual(["2027-03-01"]);
  });
});

describe("dailySeries", () => {
  it("gives every day of the range a point; days without usage are 0 and have no latency", () => {
    const days = ["2026-12-01", "2026-12-02", "2026-12-03"];
    const s = dailySeries(
      [
        group({ group: "2026-12-01", requests: 3, errors: 1, input_tokens: 100, output_tokens: 20, total_tokens: 120, cost_usd: 0.0004, latency_p50_ms: 800, latency_p95_ms: 1500 }),
        group({ group: "2026-12-03", requests: 1, errors: 1 }), // a budget refusal: no latency
      ],
      days,
    );
    expect(s.x).toEqual([Date.UTC(2026, 11, 1) / 1000, Date.UTC(2026, 11, 2) / 1000, Date.UTC(2026, 11, 3) / 1000]);
    expect(s.requests).toEqual([3, 0, 1]);
    expect(s.errors).toEqual([1, 0, 1]);
    expect(s.tokens).toEqual([120, 0, 0]);
    expect(s.inputTokens).toEqual([100, 0, 0]);
    expect(s.outputTokens).toEqual([20, 0, 0]);
    expect(s.costUsd).toEqual([0.0004, 0, 0]);
    expect(s.p50).toEqual([800, null, null]);
    expect(s.p95).toEqual([1500, null, null]);
  });

  it("ignores groups outside the range", () => {
    const s = dailySeries([group({ group: "2026-11-30", requests: 9 })], ["2026-12-01"]);
    expect(s.requests).toEqual([0]);
  });
});

describe("csvFilename", () => {
  const range = usageRange("month", NOW);

  it("names the project, the UTC days and the grouping", () => {
    expect(csvFilename("E2E Support Bot", 3, range, "day")).toBe("usage-e2e-support-bot-2026-12-01-to-2026-12-07-by-day.csv");
    expect(csvFilename("Shop", 3, range, "end_user")).toBe("usage-shop-2026-12-01-to-2026-12-07-by-end-user.csv");
  });

  it("ends the day before when the range ends at midnight (to is exclusive)", () => {
    const r = { from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-12-01T00:00:00Z") };
    expect(csvFilename("Shop", 3, r, "key")).toBe("usage-shop-2026-11-01-to-2026-11-30-by-key.csv");
  });

  it("keeps only safe characters, and falls back to the project id", () => {
    expect(fileSlug('Café "<Bot>" / ../../etc')).toBe("cafe-bot-etc");
    expect(fileSlug("x".repeat(60))).toHaveLength(40);
    expect(csvFilename("<>", 42, range, "model")).toBe("usage-project-42-2026-12-01-to-2026-12-07-by-model.csv");
  });
});

describe("budget form", () => {
  it("shows a budget as typed text, none as empty", () => {
    expect(budgetDraft({ monthly_usd: 5.5, monthly_tokens: null })).toEqual({ usd: "5.5", tokens: "" });
    expect(budgetDraft({ monthly_usd: null, monthly_tokens: 100000 })).toEqual({ usd: "", tokens: "100000" });
  });

  it("sends both budgets, null for an empty field", () => {
    expect(budgetBody({ usd: "", tokens: "" })).toEqual({ monthly_usd: null, monthly_tokens: null });
    expect(budgetBody({ usd: " $12.50 ", tokens: "1,000,000" })).toEqual({ monthly_usd: 12.5, monthly_tokens: 1_000_000 });
    expect(budgetBody({ usd: "0", tokens: "1" })).toEqual({ monthly_usd: 0, monthly_tokens: 1 });
  });

  it("explains what the server would refuse", () => {
    expect(budgetProblems({ usd: "", tokens: "" })).toEqual([]);
    expect(budgetProblems({ usd: "-1", tokens: "0" })).toEqual([
      "Monthly budget in USD: an amount in US dollars from 0 to 1,000,000, or empty for none.",
      "Monthly budget in tokens: a whole number of tokens from 1 to 1,000,000,000,000, or empty for none.",
    ]);
    expect(budgetProblems({ usd: "1000001", tokens: "1.5" })).toHaveLength(2);
    expect(budgetProblems({ usd: "abc", tokens: "12k" })).toHaveLength(2);
  });

  it("parses amounts and counts strictly", () => {
    expect(parseUSD("0.25", 10)).toBe(0.25);
    expect(parseUSD(".5", 10)).toBe(0.5);
    expect(parseUSD("1e3", 1e6)).toBeUndefined();
    expect(parseUSD("11", 10)).toBeUndefined();
    expect(parseWhole("1_000", 1e6)).toBe(1000);
    expect(parseWhole("0", 10)).toBeUndefined();
    expect(parseWhole("99999999999999999999", 1e12)).toBeUndefined();
  });

  it("measures how far a budget is spent", () => {
    expect(budgetShare(1, 10)).toEqual({ share: 0.1, state: "ok" });
    expect(budgetShare(8, 10)).toEqual({ share: 0.8, state: "near" });
    expect(budgetShare(12, 10)).toEqual({ share: 1, state: "over" });
    expect(budgetShare(0, 0)).toEqual({ share: 1, state: "over" });
  });
});

describe("groupLabel", () => {
  it("names the owner's chats, keys by name, and chats without an end user", () => {
    expect(groupLabel("key", group({ group: "owner", label: "owner" }))).toBe("Owner (no key)");
    expect(groupLabel("key", group({ group: "4", label: "Shop site" }))).toBe("Shop site");
    expect(groupLabel("end_user", group({ group: "", label: "(none)" }))).toBe("(no end user)");
    expect(groupLabel("end_user", group({ group: "alice", label: "alice" }))).toBe("alice");
  });
});
