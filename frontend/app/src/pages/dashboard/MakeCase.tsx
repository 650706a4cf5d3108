import { useState } from "react";
import type { EvalCase } from "@chatbot-platform/sdk";
import { FormError } from "../../components/FormError";
import { ApiError, api, errorMessage } from "../../lib/api";
import { caseBody, emptyCaseDraft } from "../../lib/evals";

/**
 * Turns a rated answer into an evaluation case: the question it answered (with the turns before it)
 * becomes the case's input, and the owner writes what a good answer must and must not say.
 */
export function MakeCase({ projectId, messageId }: { projectId: number; messageId: number }) {
  const [open, setOpen] = useState(false);
  const [contains, setContains] = useState("");
  const [notContains, setNotContains] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [made, setMade] = useState<EvalCase>();

  if (made) {
    return (
      <p className="small" role="status">
        Test case {made.id} added: it runs with the others on the Evaluations tab.
      </p>
    );
  }
  if (!open) {
    return (
      <button type="button" className="button small" onClick={() => setOpen(true)}>
        Make a test case
      </button>
    );
  }
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { checks } = caseBody({ ...emptyCaseDraft(), contains, notContains });
      const { data, error, response } = await api.client.POST("/projects/{project_id}/eval-cases", {
        params: { path: { project_id: projectId } },
        body: { from_message_id: messageId, checks },
      });
      if (!response.ok || !data) throw ApiError.fromBody(response.status, error, response.statusText);
      setMade(data);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  };
  const id = `make-case-${messageId}`;
  return (
    <form className="make-case" onSubmit={(e) => void submit(e)} aria-label="New test case from this answer">
      <label htmlFor={`${id}-contains`}>A good answer contains (one per line)</label>
      <textarea id={`${id}-contains`} rows={2} value={contains} onChange={(e) => setContains(e.target.value)} />
      <label htmlFor={`${id}-not`}>and does not contain (one per line)</label>
      <textarea id={`${id}-not`} rows={2} value={notContains} onChange={(e) => setNotContains(e.target.value)} />
      {error && <FormError message={error} />}
      <div className="row">
        <button type="submit" className="button primary small" disabled={busy}>
          {busy ? "Adding…" : "Add test case"}
        </button>
        <button type="button" className="button small" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
