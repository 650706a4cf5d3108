import { useState, type FormEvent } from "react";
import type { Project } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { FormError } from "../../components/FormError";
import { api, errorMessage, fieldErrors, unwrap } from "../../lib/api";
import { PRICE_MAX, priceBody, priceDraft, priceProblems, samePrice, type PriceDraft } from "../../lib/price";

interface PricePanelProps {
  project: Project;
  onSaved: (project: Project) => void;
}

const FIELDS: readonly { name: keyof PriceDraft; label: string; hint?: string }[] = [
  { name: "input", label: "Input" },
  { name: "cachedInput", label: "Cached input", hint: "Empty: as input." },
  { name: "output", label: "Output" },
];

/**
 * The project's custom price (USD per million tokens), saved with PATCH; clearing every field sends null, which
 * removes it. The server uses it only for a model its own price table lacks.
 */
export function PricePanel({ project, onSaved }: PricePanelProps) {
  const [draft, setDraft] = useState<PriceDraft>(() => priceDraft(project.custom_price));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; items: string[] }>();
  const [saved, setSaved] = useState<string>();

  const unchanged = samePrice(project.custom_price, draft);

  async function save(next: PriceDraft) {
    const problems = priceProblems(next);
    if (problems.length > 0) {
      setError({ message: "Please fix the following:", items: problems });
      return;
    }
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const path = { project_id: project.id };
      const body = { custom_price: priceBody(next) };
      const updated = await unwrap(api.client.PATCH("/projects/{project_id}", { params: { path }, body }));
      onSaved(updated);
      setDraft(priceDraft(updated.custom_price));
      setSaved(updated.custom_price ? "Custom price saved." : "Custom price removed.");
    } catch (err) {
      setError({ message: errorMessage(err), items: fieldErrors(err) });
    }
    setBusy(false);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    void save(draft);
  }

  return (
    <section className="card" aria-labelledby="price-title">
      <h2 id="price-title">Custom price</h2>
      <p className="muted small">
        USD per million tokens, used only when the server&apos;s price table lacks this project&apos;s model (
        <code>{project.model}</code>): it prices the usage report and the USD budgets. A model the table knows is
        always priced by the table.
      </p>
      <form className="stack" onSubmit={submit} noValidate aria-labelledby="price-title" onChange={() => setSaved(undefined)}>
        <div className="field-pair price-fields">
          {FIELDS.map((f) => (
            <div className="field" key={f.name}>
              <label htmlFor={`price-${f.name}`}>{f.label}</label>
              <input
                id={`price-${f.name}`}
                type="number"
                inputMode="decimal"
                min={0}
                max={PRICE_MAX}
                step="any"
                placeholder={f.name === "cachedInput" && draft.input.trim() !== "" ? draft.input : "none"}
                value={draft[f.name]}
                onChange={(e) => setDraft((d) => ({ ...d, [f.name]: e.target.value }))}
              />
              {f.hint && <span className="hint">{f.hint}</span>}
            </div>
          ))}
        </div>
        {error && <FormError message={error.message} items={error.items} />}
        {saved && unchanged && <Alert kind="success">{saved}</Alert>}
        <div className="row">
          <button type="submit" className="button primary" disabled={busy || unchanged}>
            {busy ? "Saving…" : "Save price"}
          </button>
          {project.custom_price && (
            <button type="button" className="button" disabled={busy} onClick={() => void save(priceDraft(null))}>
              Remove custom price
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
