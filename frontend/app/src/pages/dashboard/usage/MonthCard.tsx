import type { Budget, UsageFigures } from "@chatbot-platform/sdk";
import { formatCount, formatUSD, formatUTCDate } from "../../../lib/format";
import { budgetShare } from "../../../lib/usage";

interface MonthCardProps {
  totals: UsageFigures | undefined;
  budget: Budget | undefined;
}

/** This month's totals (UTC) and how far the project's budgets are spent. */
export function MonthCard({ totals, budget }: MonthCardProps) {
  const stats: { label: string; value: string }[] = totals
    ? [
        { label: "Requests", value: formatCount(totals.requests) },
        { label: "Errors", value: formatCount(totals.errors) },
        { label: "Tokens in", value: formatCount(totals.input_tokens) },
        { label: "Tokens out", value: formatCount(totals.output_tokens) },
        { label: "Cost", value: formatUSD(totals.cost_usd) },
      ]
    : [];
  return (
    <section className="card" aria-labelledby="month-title">
      <h2 id="month-title">This month</h2>
      {!totals && <p className="muted">Loading…</p>}
      {totals && (
        <dl className="stats" aria-label="This month's totals">
          {stats.map((s) => (
            <div className="stat" key={s.label}>
              <dt>{s.label}</dt>
              <dd>{s.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {budget && (
        <div className="budget-status">
          {budget.monthly_usd !== null && (
            <BudgetBar label="Cost" spent={budget.spent_usd} limit={budget.monthly_usd} format={formatUSD} />
          )}
          {budget.monthly_tokens !== null && (
            <BudgetBar label="Tokens" spent={budget.spent_tokens} limit={budget.monthly_tokens} format={formatCount} />
          )}
          <p className="muted small">
            {budget.monthly_usd === null && budget.monthly_tokens === null
              ? "No monthly budget: chat is never refused for what it costs. The month "
              : "The budget "}
            resets on {formatUTCDate(budget.resets_at)} at 00:00 UTC.
          </p>
        </div>
      )}
    </section>
  );
}

interface BudgetBarProps {
  label: string;
  spent: number;
  limit: number;
  format: (n: number) => string;
}

function BudgetBar({ label, spent, limit, format }: BudgetBarProps) {
  const { share, state } = budgetShare(spent, limit);
  const text = `${format(spent)} of ${format(limit)}`;
  return (
    <div className={`budget-bar state-${state}`}>
      <div className="budget-bar-head">
        <span className="budget-bar-label">{label}</span>
        <span>
          {text}
          {state === "over" ? " · spent: chat is refused" : ` · ${Math.floor(share * 100)}%`}
        </span>
      </div>
      <progress max={1} value={share} aria-label={`${label} budget: ${text}`} />
    </div>
  );
}
