import type { Budget, BudgetUpdate, UsageGroup } from "@chatbot-platform/sdk";
import { parseUSD, parseWhole, tokensFieldProblem, usdFieldProblem } from "./amounts";

// The usage report and the budgets count days and months in UTC (api/openapi.yaml, tag usage), so the ranges
// here are UTC days too: "this month" is the month whose budget is being spent.

export type RangeId = "month" | "7d" | "30d";

export const RANGES: readonly { id: RangeId; label: string }[] = [
  { id: "month", label: "This month" },
  { id: "7d", label: "Last 7 days" },
  { id: "30d", label: "Last 30 days" },
];

export function isRangeId(value: string | null): value is RangeId {
  return RANGES.some((r) => r.id === value);
}

/** A report's range: from (inclusive) and to (exclusive) as sent to the API, and every UTC day it touches. */
export interface UsageRange {
  from: Date;
  to: Date;
  /** "YYYY-MM-DD", oldest first, the last one today's. */
  days: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

const startOfUTCDay = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));

/** "YYYY-MM-DD" of a time's UTC day, as the report's `group` of group_by=day. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The range of a picker choice at `now`: this month from its first UTC day; the last 7 or 30 days as that many
 * UTC days, today included. All end at `now`.
 */
export function usageRange(id: RangeId, now: Date): UsageRange {
  const today = startOfUTCDay(now);
  const from =
    id === "month"
      ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
      : new Date(today.getTime() - ((id === "7d" ? 7 : 30) - 1) * DAY_MS);
  const days: string[] = [];
  for (let t = from.getTime(); t <= today.getTime(); t += DAY_MS) days.push(utcDay(new Date(t)));
  return { from, to: now, days };
}

/** The query of GET /projects/{id}/usage for a range. */
export function rangeQuery(range: UsageRange): { from: string; to: string } {
  return { from: range.from.toISOString(), to: range.to.toISOString() };
}

/** The day series of a chart: one point per day of the range, in seconds since the epoch (UTC midnight). */
export interface DailySeries {
  x: number[];
  costUsd: number[];
  tokens: number[];
  inputTokens: number[];
  outputTokens: number[];
  requests: number[];
  errors: number[];
  /** null on a day without a call that reached the model: no latency to draw, not a latency of 0. */
  p50: (number | null)[];
  p95: (number | null)[];
}

/**
 * Lines up a group_by=day series with the range's days: the report lists only days with usage; a day without
 * any counts 0 (and has no latency).
 */
export function dailySeries(series: readonly UsageGroup[], days: readonly string[]): DailySeries {
  const byDay = new Map(series.map((g) => [g.group, g]));
  const out: DailySeries = { x: [], costUsd: [], tokens: [], inputTokens: [], outputTokens: [], requests: [], errors: [], p50: [], p95: [] };
  for (const day of days) {
    const g = byDay.get(day);
    const reached = g !== undefined && (g.latency_p50_ms > 0 || g.latency_p95_ms > 0);
    out.x.push(Date.parse(`${day}T00:00:00Z`) / 1000);
    out.costUsd.push(g?.cost_usd ?? 0);
    out.tokens.push(g?.total_tokens ?? 0);
    out.inputTokens.push(g?.input_tokens ?? 0);
    out.outputTokens.push(g?.output_tokens ?? 0);
    out.requests.push(g?.requests ?? 0);
    out.errors.push(g?.errors ?? 0);
    out.p50.push(reached ? g.latency_p50_ms : null);
    out.p95.push(reached ? g.latency_p95_ms : null);
  }
  return out;
}

export type GroupBy = "day" | "model" | "key" | "end_user";

export const GROUP_LABELS: Record<GroupBy, string> = { day: "day", model: "model", key: "key", end_user: "end user" };

/** A name safe in a file name: lower case letters, digits and single dashes, at most 40 characters. */
export function fileSlug(text: string): string {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug;
}

/**
 * The file name of a downloaded report: `usage-<project>-<first day>-to-<last day>-by-<group>.csv`, days in UTC
 * (`to` is exclusive: a range ending at midnight ends the day before).
 */
export function csvFilename(projectName: string, projectId: number, range: { from: Date; to: Date }, groupBy: GroupBy): string {
  const name = fileSlug(projectName) || `project-${projectId}`;
  const last = new Date(Math.max(range.from.getTime(), range.to.getTime() - 1));
  return `usage-${name}-${utcDay(range.from)}-to-${utcDay(last)}-by-${groupBy.replace("_", "-")}.csv`;
}

/** Limits of BudgetUpdate in api/openapi.yaml. */
export const BUDGET_LIMITS = { usd: 1_000_000, tokens: 1_000_000_000_000 } as const;

/** The budget form as typed: "" for no budget. */
export interface BudgetDraft {
  usd: string;
  tokens: string;
}

export function budgetDraft(budget: Pick<Budget, "monthly_usd" | "monthly_tokens">): BudgetDraft {
  return {
    usd: budget.monthly_usd === null ? "" : String(budget.monthly_usd),
    tokens: budget.monthly_tokens === null ? "" : String(budget.monthly_tokens),
  };
}

export function budgetProblems(draft: BudgetDraft): string[] {
  return [
    usdFieldProblem("Monthly budget in USD", draft.usd, BUDGET_LIMITS.usd),
    tokensFieldProblem("Monthly budget in tokens", draft.tokens, BUDGET_LIMITS.tokens),
  ].filter((p): p is string => p !== undefined);
}

/** The body of PUT /projects/{id}/budget for a draft without problems: both budgets, null for none. */
export function budgetBody(draft: BudgetDraft): BudgetUpdate {
  return {
    monthly_usd: draft.usd.trim() === "" ? null : (parseUSD(draft.usd, BUDGET_LIMITS.usd) ?? null),
    monthly_tokens: draft.tokens.trim() === "" ? null : (parseWhole(draft.tokens, BUDGET_LIMITS.tokens) ?? null),
  };
}

/** How far a budget is spent: the share for a progress bar (0–1) and its state, "over" once spent. */
export function budgetShare(spent: number, limit: number): { share: number; state: "ok" | "near" | "over" } {
  const share = limit <= 0 ? 1 : Math.min(1, Math.max(0, spent / limit));
  return { share, state: spent >= limit ? "over" : share >= 0.8 ? "near" : "ok" };
}

/** How a key or end-user group of the report is named for people. */
export function groupLabel(groupBy: "key" | "end_user", group: UsageGroup): string {
  if (groupBy === "key") return group.group === "owner" ? "Owner (no key)" : group.label || `key ${group.group}`;
  if (group.group === "") return "(no end user)";
  return group.label || group.group;
}
