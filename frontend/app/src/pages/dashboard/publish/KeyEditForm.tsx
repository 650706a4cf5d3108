import { useState, type FormEvent } from "react";
import type { ApiKey } from "@chatbot-platform/sdk";
import { FormError } from "../../../components/FormError";
import { api, errorMessage, fieldErrors, unwrap } from "../../../lib/api";
import { draftFromKey, draftProblems, keyUpdateBody, type KeyDraft } from "../../../lib/keys";
import { KeyFields } from "./KeyFields";

interface KeyEditFormProps {
  apiKey: ApiKey;
  dashboardOrigin: string;
  onSaved: (key: ApiKey) => void;
  onCancel: () => void;
}

/** Changes a key with PATCH, sending only the fields that changed (null clears the expiry or the rate limit). */
export function KeyEditForm({ apiKey, dashboardOrigin, onSaved, onCancel }: KeyEditFormProps) {
  const [draft, setDraft] = useState<KeyDraft>(() => draftFromKey(apiKey));
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; items: string[] }>();

  const body = keyUpdateBody(apiKey, draft);
  const dirty = Object.keys(body).length > 0;
  const idPrefix = `key-${apiKey.id}`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    const expiryUnchanged = draft.expiresOn === draftFromKey(apiKey).expiresOn;
    const problems = draftProblems(draft, new Date(), { expiryUnchanged });
    if (problems.length > 0) {
      setError({ message: "Please fix the following:", items: problems });
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const path = { key_id: apiKey.id };
      onSaved(await unwrap(api.client.PATCH("/projects/keys/{key_id}", { params: { path }, body })));
    } catch (err) {
      setError({ message: errorMessage(err), items: fieldErrors(err) });
      setBusy(false);
    }
  }

  return (
    <form className="stack key-edit-form" onSubmit={submit} noValidate aria-label={`Edit key ${apiKey.name}`}>
      <KeyFields
        idPrefix={idPrefix}
        draft={draft}
        onChange={(c) => setDraft((d) => ({ ...d, ...c }))}
        submitted={submitted}
        dashboardOrigin={dashboardOrigin}
      />
      {error && <FormError message={error.message} items={error.items} />}
      <div className="row">
        <button type="submit" className="button primary" disabled={busy || !dirty}>
          {busy ? "Saving…" : "Save key"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
