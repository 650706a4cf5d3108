import { Component, Suspense, lazy, useEffect, useMemo, useState, type ReactNode } from "react";
import type { Budget, Project, UsageReport } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { api, errorMessage, getUsageCsv, getUsageReport, unwrap } from "../../../lib/api";
import { downloadText } from "../../../lib/download";
import { formatCount, formatMs, formatUSD } from "../../../lib/format";
import { writeParams } from "../../../lib/url";
import {
  GROUP_LABELS,
  RANGES,
  csvFilename,
  dailySeries,
  isRangeId,
  rangeQuery,
  usageRange,
  type GroupBy,
  type RangeId,
  type UsageRange,
} from "../../../lib/usage";
import { BudgetForm } from "./BudgetForm";
import { FeedbackCounts } from "./FeedbackCounts";
import { MonthCard } from "./MonthCard";
import { TopTable } from "./TopTable";
import "./usage.css";

// The chart library is loaded only when there is something to draw.
const UsageCharts = lazy(() => import("./UsageCharts"));

interface Loaded {
  range: UsageRange;
  month: UsageReport;
  days: UsageReport;
  keys: UsageReport;
  endUsers: UsageReport;
}

const initialRange = (): RangeId => {
  const value = new URLSearchParams(window.location.search).get("range");
  return isRangeId(value) ? value : "month";
};

/**
 * A project's usage: this month's totals against its budget, the budget editor, charts per day over a chosen
 * range, the costliest keys and end users, and the report as CSV. Days and months are UTC, as the server counts
 * them.
 */
export default function UsagePanel({ project }: { project: Project }) {
  const [rangeId, setRangeId] = useState<RangeId>(initialRange);
  const [loaded, setLoaded] = useState<Loaded>();
  const [budget, setBudget] = useState<Budget>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    const now = new Date();
    const range = usageRange(rangeId, now);
    const monthRange = usageRange("month", now);
    const path = { project_id: project.id };
    const report = (r: UsageRange, group_by: GroupBy) => getUsageReport(project.id, { ...rangeQuery(r), group_by });
    setLoading(true);
    setError(undefined);
    Promise.all([
      rangeId === "month" ? undefined : report(monthRange, "day"),
      report(range, "day"),
      report(range, "key"),
      report(range, "end_user"),
      unwrap(api.client.GET("/projects/{project_id}/budget", { params: { path } })),
    ])
      .then(([month, days, keys, endUsers, b]) => {
        if (cancelled) return;
        setLoaded({ range, month: month ?? days, days, keys, endUsers });
        setBudget(b);
      })
      .catch((err) => !cancelled && setError(errorMessage(err)))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [project.id, rangeId, attempt]);

  const series = useMemo(() => loaded && dailySeries(loaded.days.series, loaded.range.days), [loaded]);
  const rangeLabel = RANGES.find((r) => r.id === rangeId)?.label ?? "";
  const empty = loaded !== undefined && loaded.days.totals.requests === 0;

  function pickRange(id: RangeId) {
    setRangeId(id);
    writeParams({ range: id === "month" ? undefined : id });
  }

  return (
    <div className="usage" aria-busy={loading}>
      {error && <Alert onRetry={() => setAttempt((n) => n + 1)}>{error}</Alert>}

      <div className="usage-top">
        <MonthCard totals={loaded?.month.totals} budget={budget} />
        <BudgetForm projectId={project.id} budget={budget} onSaved={setBudget} />
      </div>

      <section className="card" aria-labelledby="usage-range-title">
        <div className="usage-range-head">
          <h2 id="usage-range-title">Usage by day</h2>
          <div className="segmented range-picker" role="group" aria-label="Range">
            {RANGES.map((r) => (
              <button key={r.id} type="button" aria-pressed={r.id === rangeId} onClick={() => pickRange(r.id)}>
                {r.label}
              </button>
            ))}
          </div>
          <button type="button" className="button small" disabled={loading} onClick={() => setAttempt((n) => n + 1)}>
            Refresh
          </button>
        </div>
        {loaded && <RangeTotals report={loaded.days} />}
        {!loaded && !error && <p className="muted">Loading usage…</p>}
        {empty && (
          <div className="empty-state small">
            <h3>No usage {rangeId === "month" ? "this month" : `in the ${rangeLabel.toLowerCase()}`} yet</h3>
            <p className="muted">
              Every chat with this bot is counted here: yours on the chat page, your keys&apos;, the widget&apos;s
              and the OpenAI-compatible endpoint&apos;s, failures included. Nothing has been sent in this range.
            </p>
            <a className="button" href={`/chat?project=${project.id}`}>
              Open chat
            </a>
          </div>
        )}
        {series && !empty && (
          <ChartBoundary>
            <Suspense fallback={<p className="muted charts-loading">Loading charts…</p>}>
              <UsageCharts series={series} />
            </Suspense>
          </ChartBoundary>
        )}
        {loaded && !empty && <DailyTable report={loaded.days} />}
        <p className="muted small">Days are UTC days, as budgets count them. Cost is in US dollars.</p>
        {loaded && <CsvDownload project={project} range={loaded.range} />}
      </section>

      {!empty && <TopTable title="Top keys" groupBy="key" report={loaded?.keys} />}
      {!empty && <TopTable title="Top end users" groupBy="end_user" report={loaded?.endUsers} />}
      <FeedbackCounts counts={loaded?.days.feedback} projectId={project.id} />
    </div>
  );
}

/** The selected range's totals in one line. */
function RangeTotals({ report }: { report: UsageReport }) {
  const t = report.totals;
  return (
    <p className="range-totals" aria-label="Totals of the range">
      <span>{plural(t.requests, "request")}</span>
      <span>{plural(t.errors, "error")}</span>
      <span>
        {formatCount(t.input_tokens)} tokens in · {formatCount(t.output_tokens)} out
      </span>
      <span>{formatUSD(t.cost_usd)}</span>
    </p>
  );
}

const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;

/** The figures behind the charts, day by day (days with usage only), for screen readers and exact values. */
function DailyTable({ report }: { report: UsageReport }) {
  return (
    <details className="daily-details">
      <summary>The figures day by day</summary>
      <div className="table-scroll">
        <table className="usage-table">
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col">Requests</th>
              <th scope="col">Errors</th>
              <th scope="col">Tokens in</th>
              <th scope="col">Tokens out</th>
              <th scope="col">Cost</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
            </tr>
          </thead>
          <tbody>
            {report.series.map((g) => (
              <tr key={g.group}>
                <th scope="row">{g.group}</th>
                <td data-label="Requests">{formatCount(g.requests)}</td>
                <td data-label="Errors">{formatCount(g.errors)}</td>
                <td data-label="Tokens in">{formatCount(g.input_tokens)}</td>
                <td data-label="Tokens out">{formatCount(g.output_tokens)}</td>
                <td data-label="Cost">{formatUSD(g.cost_usd)}</td>
                <td data-label="p50">{formatMs(g.latency_p50_ms)}</td>
                <td data-label="p95">{formatMs(g.latency_p95_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

const GROUPS: readonly GroupBy[] = ["day", "model", "key", "end_user"];

/** Downloads the range's report as CSV (GET …/usage with Accept: text/csv), grouped as chosen. */
function CsvDownload({ project, range }: { project: Project; range: UsageRange }) {
  const [groupBy, setGroupBy] = useState<GroupBy>("day");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function download() {
    setBusy(true);
    setError(undefined);
    try {
      const text = await getUsageCsv(project.id, { ...rangeQuery(range), group_by: groupBy });
      downloadText(csvFilename(project.name, project.id, range, groupBy), text, "text/csv;charset=utf-8");
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  return (
    <div className="csv-download">
      <div className="row">
        <label htmlFor="csv-group">One row per</label>
        <select id="csv-group" value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
          {GROUPS.map((g) => (
            <option key={g} value={g}>
              {GROUP_LABELS[g]}
            </option>
          ))}
        </select>
        <button type="button" className="button" disabled={busy} onClick={() => void download()}>
          {busy ? "Preparing…" : "Download CSV"}
        </button>
      </div>
      {error && <Alert>{error}</Alert>}
    </div>
  );
}

/** Keeps a failed chart download (a dropped connection, a new release) to a message instead of a blank page. */
class ChartBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override render() {
    if (this.state.failed) return <Alert>The charts could not be loaded. Reload the page to try again.</Alert>;
    return this.props.children;
  }
}
