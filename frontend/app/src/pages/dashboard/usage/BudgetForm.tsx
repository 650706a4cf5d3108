import { useEffect, useState, type FormEvent } from "react";
import type { Budget } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { FormError } from "../../../components/FormError";
import { api, errorMessage, fieldErrors, unwrap } from "../../../lib/api";
import { BUDGET_LIMITS, budgetBody, budgetDraft, budgetProblems, type BudgetDraft } from "../../../lib/usage";

interface BudgetFormProps {
  projectId: number;
  budget: Budget | undefined;
  onSaved: (budget: Budget) => void;
}

/** The project's monthly budgets, in USD and in tokens (empty: none), saved with PUT. */
export function BudgetForm({ projectId, budget, onSaved }: BudgetFormProps) {
  const [draft, setDraft] = useState<BudgetDraft>({ usd: "", tokens: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; items: string[] }>();
  const [saved, setSaved] = useState(false);

  // The form follows the server's budget when it (re)loads.
  const usd = budget?.monthly_usd ?? null;
  const tokens = budget?.monthly_tokens ?? null;
  useEffect(() => {
    setDraft(budgetDraft({ monthly_usd: usd, monthly_tokens: tokens }));
  }, [usd, tokens]);

  const body = budgetBody(draft);
  const dirty = budget !== undefined && (body.monthly_usd !== usd || body.monthly_tokens !== tokens);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const problems = budgetProblems(draft);
    if (problems.length > 0) {
      setError({ message: "Please fix the following:", items: problems });
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const path = { project_id: projectId };
      onSaved(await unwrap(api.client.PUT("/projects/{project_id}/budget", { params: { path }, body })));
      setSaved(true);
    } catch (err) {
      setError({ message: errorMessage(err), items: fieldErrors(err) });
    }
    setBusy(false);
  }

  return (
    <section className="card" aria-labelledby="budget-title">
      <h2 id="budget-title">Monthly budget</h2>
      <p className="muted small">
        Once a budget is spent, every chat through this project (yours, every key&apos;s, the widget&apos;s and the
        OpenAI-compatible endpoint&apos;s) is refused until the month ends (UTC). Empty: no budget.
      </p>
      <form className="stack" onSubmit={submit} noValidate aria-labelledby="budget-title" onChange={() => setSaved(false)}>
        <div className="field-pair">
          <div className="field">
            <label htmlFor="budget-usd">USD per month</label>
            <input
              id="budget-usd"
              type="number"
              inputMode="decimal"
              min={0}
              max={BUDGET_LIMITS.usd}
              step={0.01}
              placeholder="no budget"
              value={draft.usd}
              onChange={(e) => setDraft((d) => ({ ...d, usd: e.target.value }))}
            />
          </div>
          <div className="field">
            <label htmlFor="budget-tokens">Tokens per month</label>
            <input
              id="budget-tokens"
              type="number"
              inputMode="numeric"
              min={1}
              max={BUDGET_LIMITS.tokens}
              step={1}
              placeholder="no budget"
              value={draft.tokens}
              onChange={(e) => setDraft((d) => ({ ...d, tokens: e.target.value }))}
            />
          </div>
        </div>
        {error && <FormError message={error.message} items={error.items} />}
        {saved && !dirty && <Alert kind="success">Budget saved.</Alert>}
        <div className="row">
          <button type="submit" className="button primary" disabled={busy || !dirty}>
            {busy ? "Saving…" : "Save budget"}
          </button>
        </div>
      </form>
    </section>
  );
}
