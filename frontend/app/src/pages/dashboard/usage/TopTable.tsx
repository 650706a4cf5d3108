import type { UsageReport } from "@chatbot-platform/sdk";
import { formatCount, formatUSD } from "../../../lib/format";
import { endUserLabel } from "../../../lib/keys";
import { groupLabel } from "../../../lib/usage";

interface TopTableProps {
  title: string;
  groupBy: "key" | "end_user";
  report: UsageReport | undefined;
  /** Rows shown; the rest are counted below the table (the CSV has them all). */
  limit?: number;
}

/** The costliest keys or end users of the range (the server sorts them), with their figures. */
export function TopTable({ title, groupBy, report, limit = 10 }: TopTableProps) {
  const id = `top-${groupBy}-title`;
  const rows = report?.series.slice(0, limit) ?? [];
  const more = (report?.series.length ?? 0) - rows.length;
  const name = (label: string) => (groupBy === "end_user" ? endUserLabel(label) : label);
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {!report && <p className="muted">Loading…</p>}
      {report && rows.length === 0 && <p className="muted">Nothing in this range.</p>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="usage-table" aria-labelledby={id}>
            <thead>
              <tr>
                <th scope="col">{groupBy === "key" ? "Key" : "End user"}</th>
                <th scope="col">Requests</th>
                <th scope="col">Errors</th>
                <th scope="col">Tokens in</th>
                <th scope="col">Tokens out</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((g) => (
                <tr key={g.group}>
                  <th scope="row" className="usage-name">
                    {name(groupLabel(groupBy, g))}
                  </th>
                  <td data-label="Requests">{formatCount(g.requests)}</td>
                  <td data-label="Errors">{formatCount(g.errors)}</td>
                  <td data-label="Tokens in">{formatCount(g.input_tokens)}</td>
                  <td data-label="Tokens out">{formatCount(g.output_tokens)}</td>
                  <td data-label="Cost">{formatUSD(g.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more > 0 && <p className="muted small">…and {formatCount(more)} more: download the CSV for all of them.</p>}
    </section>
  );
}
