import { useEffect, useState, type FormEvent } from "react";
import type { EvalCase, ProjectFile } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { api, errorMessage, PAGE_MAX, unwrap } from "../../../lib/api";
import { caseBody, emptyCaseDraft, EVAL_LIMITS, type CaseDraft } from "../../../lib/evals";

interface CaseFormProps {
  projectId: number;
  onAdded: (c: EvalCase) => void;
}

/** Adds a case: the question and its checks (each optional); the server's refusal (a bad regex) shows here. */
export function CaseForm({ projectId, onAdded }: CaseFormProps) {
  const [draft, setDraft] = useState<CaseDraft>(emptyCaseDraft);
  const [files, setFiles] = useState<ProjectFile[]>([]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    unwrap(api.client.GET("/projects/{project_id}/files", { params: { path: { project_id: projectId }, query: { limit: PAGE_MAX } } }))
      .then(setFiles)
      .catch(() => setFiles([])); // the file check is optional: without the list, it is simply not offered
  }, [projectId]);

  const set = (field: keyof CaseDraft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [field]: e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const c = await unwrap(api.client.POST("/projects/{project_id}/eval-cases", { params: { path: { project_id: projectId } }, body: caseBody(draft) }));
      onAdded(c);
      setDraft(emptyCaseDraft());
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  return (
    <form className="stack add-case" onSubmit={submit} aria-label="Add a case">
      <h3>Add a case</h3>
      <div className="field">
        <label htmlFor="case-input">Question</label>
        <textarea id="case-input" required rows={2} maxLength={EVAL_LIMITS.inputChars} value={draft.input} onChange={set("input")} />
      </div>
      <div className="eval-checks-grid">
        <div className="field">
          <label htmlFor="case-contains">Reply must contain (one per line, any case)</label>
          <textarea id="case-contains" rows={2} value={draft.contains} onChange={set("contains")} />
        </div>
        <div className="field">
          <label htmlFor="case-not-contains">Reply must not contain (one per line, any case)</label>
          <textarea id="case-not-contains" rows={2} value={draft.notContains} onChange={set("notContains")} />
        </div>
        <div className="field">
          <label htmlFor="case-regex">Reply matches (RE2 regular expression)</label>
          <input id="case-regex" maxLength={EVAL_LIMITS.checkChars} value={draft.regex} onChange={set("regex")} placeholder="e.g. (?i)\d+ days" />
        </div>
        <div className="field">
          <label htmlFor="case-file">Reply cites file</label>
          <select id="case-file" value={draft.citesFileId} onChange={set("citesFileId")}>
            <option value="">Any or none</option>
            {files.map((f) => (
              <option key={f.id} value={f.id}>
                {f.filename}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="case-latency">Answers within (ms)</label>
          <input id="case-latency" type="number" min={1} max={EVAL_LIMITS.maxLatencyMs} value={draft.maxLatencyMs} onChange={set("maxLatencyMs")} />
        </div>
        <div className="field">
          <label htmlFor="case-tokens">At most output tokens</label>
          <input id="case-tokens" type="number" min={1} max={EVAL_LIMITS.maxOutputTokens} value={draft.maxOutputTokens} onChange={set("maxOutputTokens")} />
        </div>
      </div>
      {error && <Alert>{error}</Alert>}
      <div className="row">
        <button type="submit" className="button primary" disabled={busy || !draft.input.trim()}>
          Add case
        </button>
      </div>
    </form>
  );
}
