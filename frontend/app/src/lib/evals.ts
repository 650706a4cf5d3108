import type { EvalCaseCreate, EvalChecks, EvalResult, EvalRun, EvalTarget } from "@chatbot-platform/sdk";

/** Limits of EvalCaseCreate and EvalChecks in api/openapi.yaml. */
export const EVAL_LIMITS = { inputChars: 32000, checkStrings: 20, checkChars: 500, maxLatencyMs: 600000, maxOutputTokens: 128000 };

/** What the add-a-case form holds: strings as typed, one check string per line. */
export interface CaseDraft {
  input: string;
  contains: string;
  notContains: string;
  regex: string;
  citesFileId: string;
  maxLatencyMs: string;
  maxOutputTokens: string;
}

export function emptyCaseDraft(): CaseDraft {
  return { input: "", contains: "", notContains: "", regex: "", citesFileId: "", maxLatencyMs: "", maxOutputTokens: "" };
}

const lines = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

const number = (s: string) => (s.trim() ? Number(s) : undefined);

/** The request body for a draft: only the checks that were filled in. */
export function caseBody(d: CaseDraft): EvalCaseCreate {
  const checks: EvalChecks = {};
  const contains = lines(d.contains);
  const notContains = lines(d.notContains);
  if (contains.length) checks.contains = contains;
  if (notContains.length) checks.not_contains = notContains;
  if (d.regex.trim()) checks.regex = d.regex.trim();
  const file = number(d.citesFileId);
  if (file !== undefined) checks.cites_file_id = file;
  const latency = number(d.maxLatencyMs);
  if (latency !== undefined) checks.max_latency_ms = latency;
  const tokens = number(d.maxOutputTokens);
  if (tokens !== undefined) checks.max_output_tokens = tokens;
  return { input: d.input, checks };
}

/** A case's checks in a few words each, e.g. `contains "refund"`. */
export function describeChecks(c: EvalChecks): string[] {
  const out: string[] = [];
  for (const s of c.contains ?? []) out.push(`contains "${s}"`);
  for (const s of c.not_contains ?? []) out.push(`does not contain "${s}"`);
  if (c.regex) out.push(`matches /${c.regex}/`);
  if (c.cites_file_id) out.push(`cites file ${c.cites_file_id}`);
  if (c.max_latency_ms) out.push(`answers within ${c.max_latency_ms} ms`);
  if (c.max_output_tokens) out.push(`uses at most ${c.max_output_tokens} output tokens`);
  return out;
}

/** "draft" or "release 3". */
export function targetLabel(t: EvalTarget): string {
  return typeof t === "number" ? `release ${t}` : "draft";
}

export const runLabel = (r: EvalRun) => `Run ${r.id} on ${targetLabel(r.target)}`;

export const runActive = (r: EvalRun) => r.status === "queued" || r.status === "running";

/** The results of two runs side by side, by case (a case only one of them ran has a gap on the other side). */
export function pairResults(a: EvalResult[], b: EvalResult[]): { caseId: number; input: string; a?: EvalResult; b?: EvalResult }[] {
  const rows = new Map<number, { caseId: number; input: string; a?: EvalResult; b?: EvalResult }>();
  for (const r of a) rows.set(r.case_id, { caseId: r.case_id, input: r.input, a: r });
  for (const r of b) {
    const row = rows.get(r.case_id);
    if (row) row.b = r;
    else rows.set(r.case_id, { caseId: r.case_id, input: r.input, b: r });
  }
  return [...rows.values()].sort((x, y) => x.caseId - y.caseId);
}
