import { useEffect, useState } from "react";
import type { Project, Webhook } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { api, errorMessage, unwrap } from "../../../lib/api";
import { webhookName } from "../../../lib/webhooks";
import { SecretReveal, type Revealed } from "./SecretReveal";
import { SignatureHint } from "./SignatureHint";
import { WebhookCreateForm } from "./WebhookCreateForm";
import { WebhooksTable } from "./WebhooksTable";

/** Something to confirm first: deleting a webhook, or rotating its signing secret. */
type Pending = { action: "delete" | "rotate"; hook: Webhook };

/**
 * A project's webhooks: list, add, edit, turn off and on, rotate the signing secret, delete, and each one's
 * delivery log. A signing secret is held only in this component's state, shown once, and forgotten when dismissed.
 */
export function WebhooksSection({ project }: { project: Project }) {
  const [hooks, setHooks] = useState<Webhook[]>();
  const [loadError, setLoadError] = useState<string>();
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const [revealed, setRevealed] = useState<Revealed>();
  const [editingId, setEditingId] = useState<number>();
  const [logsOpen, setLogsOpen] = useState<ReadonlySet<number>>(new Set());
  const [pending, setPending] = useState<Pending>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    setLoadError(undefined);
    unwrap(api.client.GET("/projects/{project_id}/webhooks", { params: { path: { project_id: project.id } } }))
      .then((list) => !cancelled && setHooks(list))
      .catch((err) => !cancelled && setLoadError(errorMessage(err)));
    return () => {
      cancelled = true;
    };
  }, [project.id, attempt]);

  const replace = (hook: Webhook) => setHooks((list) => list?.map((h) => (h.id === hook.id ? hook : h)));
  const pathOf = (hook: Webhook) => ({ project_id: project.id, webhook_id: hook.id });

  async function run(change: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    try {
      await change();
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  const setEnabled = (hook: Webhook, enabled: boolean) =>
    run(async () => {
      const params = { path: pathOf(hook) };
      replace(await unwrap(api.client.PATCH("/projects/{project_id}/webhooks/{webhook_id}", { params, body: { enabled } })));
    });

  const confirm = () =>
    pending &&
    run(async () => {
      const { action, hook } = pending;
      const params = { path: pathOf(hook) };
      try {
        if (action === "delete") {
          await unwrap(api.client.DELETE("/projects/{project_id}/webhooks/{webhook_id}", { params }));
          setHooks((list) => list?.filter((h) => h.id !== hook.id));
          if (editingId === hook.id) setEditingId(undefined);
          if (revealed?.kind === "webhook" && revealed.webhookId === hook.id) setRevealed(undefined);
        } else {
          const { secret, ...listed } = await unwrap(api.client.POST("/projects/{project_id}/webhooks/{webhook_id}/rotate-secret", { params }));
          replace(listed);
          setRevealed({ kind: "webhook", webhookId: hook.id, url: hook.url, secret, rotated: true });
        }
      } finally {
        setPending(undefined);
      }
    });

  const toggleLog = (id: number) =>
    setLogsOpen((open) => {
      const next = new Set(open);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  const disabledByPlatform = hooks?.filter((h) => !h.enabled && h.disabled_reason) ?? [];

  return (
    <>
      <section className="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhooks</h2>
        <p className="muted small">
          Webhooks tell your other systems what happens in this project: a signed POST to your URL for each event you
          choose. Failed deliveries are retried for 24 hours; an endpoint failing all that time is turned off.
        </p>
        {loadError && <Alert onRetry={() => setAttempt((n) => n + 1)}>{loadError}</Alert>}
        {error && <Alert>{error}</Alert>}
        {disabledByPlatform.length > 0 && (
          <div className="webhook-disabled-note">
            <p>
              <strong>
                {disabledByPlatform.length === 1 ? "A webhook was" : `${disabledByPlatform.length} webhooks were`} turned
                off by the platform
              </strong>{" "}
              because its deliveries kept failing. Fix the endpoint, then turn it on again: that resets its failure clock.
            </p>
            <ul>
              {disabledByPlatform.map((h) => (
                <li key={h.id}>
                  <span className="webhook-url">{webhookName(h)}</span>: {h.disabled_reason}
                </li>
              ))}
            </ul>
          </div>
        )}
        {revealed && <SecretReveal revealed={revealed} onDismiss={() => setRevealed(undefined)} />}
        {!hooks && !loadError && <p className="muted">Loading webhooks…</p>}
        {hooks?.length === 0 && <p className="muted">No webhooks yet: add one below.</p>}
        {hooks && hooks.length > 0 && (
          <WebhooksTable
            hooks={hooks}
            editingId={editingId}
            logsOpen={logsOpen}
            disabled={busy}
            onEdit={setEditingId}
            onSaved={(hook) => {
              replace(hook);
              setEditingId(undefined);
            }}
            onToggleLog={toggleLog}
            onSetEnabled={(hook, enabled) => void setEnabled(hook, enabled)}
            onRotate={(hook) => setPending({ action: "rotate", hook })}
            onDelete={(hook) => setPending({ action: "delete", hook })}
          />
        )}
      </section>

      <div className="publish-panels">
        <section className="card" aria-labelledby="add-webhook-title">
          <h2 id="add-webhook-title">Add a webhook</h2>
          <WebhookCreateForm
            projectId={project.id}
            onCreated={(created) => {
              const { secret, ...listed } = created;
              setHooks((list) => [...(list ?? []), listed]);
              setRevealed({ kind: "webhook", webhookId: created.id, url: created.url, secret, rotated: false });
            }}
          />
        </section>
        <section className="card" aria-labelledby="verify-webhooks-title">
          <h2 id="verify-webhooks-title">Verifying signatures</h2>
          <SignatureHint />
        </section>
      </div>

      <ConfirmDialog
        open={pending !== undefined}
        title={pending?.action === "rotate" ? "Rotate the signing secret?" : "Delete this webhook?"}
        confirmLabel={pending?.action === "rotate" ? "Rotate secret" : "Delete webhook"}
        busy={busy}
        onConfirm={() => void confirm()}
        onCancel={() => setPending(undefined)}
      >
        {pending?.action === "rotate" ? (
          <p>
            <strong className="webhook-url">{pending.hook.url}</strong> gets a new signing secret, shown once. The
            current one stops signing at once: deliveries fail your endpoint&apos;s check until it has the new one.
          </p>
        ) : (
          <p>
            <strong className="webhook-url">{pending?.hook.url}</strong> stops receiving events, and its delivery log
            is deleted; deliveries still waiting are dropped. This cannot be undone.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
