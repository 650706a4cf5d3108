import { useState, type FormEvent } from "react";
import type { Webhook } from "@chatbot-platform/sdk";
import { FormError } from "../../../components/FormError";
import { api, errorMessage, fieldErrors, unwrap } from "../../../lib/api";
import { draftFromWebhook, webhookDraftProblems, webhookName, webhookUpdateBody, type WebhookDraft } from "../../../lib/webhooks";
import { WebhookFields } from "./WebhookFields";

interface WebhookEditFormProps {
  hook: Webhook;
  onSaved: (hook: Webhook) => void;
  onCancel: () => void;
}

/** Changes a webhook's URL, events or description with PATCH, sending only what changed. */
export function WebhookEditForm({ hook, onSaved, onCancel }: WebhookEditFormProps) {
  const [draft, setDraft] = useState<WebhookDraft>(() => draftFromWebhook(hook));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; items: string[] }>();

  const body = webhookUpdateBody(hook, draft);
  const dirty = Object.keys(body).length > 0;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problems = webhookDraftProblems(draft);
    if (problems.length > 0) {
      setError({ message: "Please fix the following:", items: problems });
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const path = { project_id: hook.project_id, webhook_id: hook.id };
      onSaved(await unwrap(api.client.PATCH("/projects/{project_id}/webhooks/{webhook_id}", { params: { path }, body })));
    } catch (err) {
      setError({ message: errorMessage(err), items: fieldErrors(err) });
      setBusy(false);
    }
  }

  return (
    <form className="stack key-edit-form" onSubmit={submit} noValidate aria-label={`Edit webhook ${webhookName(hook)}`}>
      <WebhookFields idPrefix={`webhook-${hook.id}`} draft={draft} onChange={(c) => setDraft((d) => ({ ...d, ...c }))} />
      {error && <FormError message={error.message} items={error.items} />}
      <div className="row">
        <button type="submit" className="button primary" disabled={busy || !dirty}>
          {busy ? "Saving…" : "Save webhook"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
