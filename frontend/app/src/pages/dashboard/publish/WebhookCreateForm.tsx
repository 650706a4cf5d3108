import { useState, type FormEvent } from "react";
import type { WebhookWithSecret } from "@chatbot-platform/sdk";
import { FormError } from "../../../components/FormError";
import { api, errorMessage, fieldErrors, unwrap } from "../../../lib/api";
import { emptyWebhookDraft, webhookCreateBody, webhookDraftProblems, type WebhookDraft } from "../../../lib/webhooks";
import { WebhookFields } from "./WebhookFields";

interface WebhookCreateFormProps {
  projectId: number;
  onCreated: (hook: WebhookWithSecret) => void;
}

/** Adds a webhook; the answer (with its signing secret) goes to onCreated, never to storage. */
export function WebhookCreateForm({ projectId, onCreated }: WebhookCreateFormProps) {
  const [draft, setDraft] = useState<WebhookDraft>(emptyWebhookDraft);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; items: string[] }>();

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
      const created = await unwrap(
        api.client.POST("/projects/{project_id}/webhooks", {
          params: { path: { project_id: projectId } },
          body: webhookCreateBody(draft),
        }),
      );
      setDraft(emptyWebhookDraft());
      onCreated(created);
    } catch (err) {
      setError({ message: errorMessage(err), items: fieldErrors(err) });
    }
    setBusy(false);
  }

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby="add-webhook-title">
      <WebhookFields idPrefix="new-webhook" draft={draft} onChange={(c) => setDraft((d) => ({ ...d, ...c }))} />
      {error && <FormError message={error.message} items={error.items} />}
      <div className="row">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Adding…" : "Add webhook"}
        </button>
      </div>
    </form>
  );
}
