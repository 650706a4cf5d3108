import { useState, type FormEvent } from "react";
import type { KeyCreated, KeyKind } from "@chatbot-platform/sdk";
import { FormError } from "../../../components/FormError";
import { api, errorMessage, fieldErrors, unwrap } from "../../../lib/api";
import { KIND_LABELS, draftProblems, emptyDraft, keyCreateBody, type KeyDraft } from "../../../lib/keys";
import { KeyFields } from "./KeyFields";

const KIND_HINTS: Record<KeyKind, string> = {
  secret: "For your servers and the OpenAI-compatible API. Never put it in a web page.",
  publishable: "For the chat widget on your website: chat only, and only from the origins you list.",
};

interface KeyCreateFormProps {
  projectId: number;
  dashboardOrigin: string;
  onCreated: (key: KeyCreated) => void;
}

/** Creates a secret or publishable key; the answer (with the full key) goes to onCreated, never to storage. */
export function KeyCreateForm({ projectId, dashboardOrigin, onCreated }: KeyCreateFormProps) {
  const [draft, setDraft] = useState<KeyDraft>(() => emptyDraft());
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; items: string[] }>();

  const change = (c: Partial<KeyDraft>) => setDraft((d) => ({ ...d, ...c }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    const problems = draftProblems(draft, new Date());
    if (problems.length > 0) {
      setError({ message: "Please fix the following:", items: problems });
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const created = await unwrap(
        api.client.POST("/projects/{project_id}/keys", {
          params: { path: { project_id: projectId } },
          body: keyCreateBody(draft),
        }),
      );
      setDraft(emptyDraft(draft.kind));
      setSubmitted(false);
      onCreated(created);
    } catch (err) {
      setError({ message: errorMessage(err), items: fieldErrors(err) });
    }
    setBusy(false);
  }

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby="create-key-title">
      <fieldset className="segmented-field">
        <legend>Kind</legend>
        <div className="segmented">
          {(["secret", "publishable"] as const).map((kind) => (
            <label key={kind} className={`segment${draft.kind === kind ? " checked" : ""}`}>
              <input
                type="radio"
                name="new-key-kind"
                value={kind}
                checked={draft.kind === kind}
                onChange={() => {
                  change({ kind });
                  setError(undefined);
                }}
              />
              <span>{KIND_LABELS[kind]}</span>
            </label>
          ))}
        </div>
        <span className="hint">{KIND_HINTS[draft.kind]}</span>
      </fieldset>
      <KeyFields idPrefix="new-key" draft={draft} onChange={change} submitted={submitted} dashboardOrigin={dashboardOrigin} />
      {error && <FormError message={error.message} items={error.items} />}
      <div className="row">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Creating…" : `Create ${draft.kind} key`}
        </button>
      </div>
    </form>
  );
}
