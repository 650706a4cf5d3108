import { useEffect, useState } from "react";
import type { ApiKey, Project } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { api, errorMessage, unwrap } from "../../../lib/api";
import { withOrigin } from "../../../lib/keys";
import { KeyCreateForm } from "./KeyCreateForm";
import { KeysTable } from "./KeysTable";
import { OpenAIHint } from "./OpenAIHint";
import { ReleasesSection } from "./ReleasesSection";
import { SecretReveal, type Revealed } from "./SecretReveal";
import { WebhooksSection } from "./WebhooksSection";
import { WidgetPanel } from "./WidgetPanel";

/** Something to confirm first: revoking a key, or rotating its identity secret. */
type Pending = { action: "revoke" | "rotate"; key: ApiKey };

/**
 * Publishing a project's bot: its releases, its keys (create, edit, revoke, rotate a publishable key's identity secret), the
 * widget's tag with a live preview, the OpenAI-compatible endpoint, and the project's webhooks. A new key's secret
 * is held only in this component's state, shown once, and forgotten when dismissed.
 */
export function PublishPanel({ project }: { project: Project }) {
  const [keys, setKeys] = useState<ApiKey[]>();
  const [loadError, setLoadError] = useState<string>();
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const [revealed, setRevealed] = useState<Revealed>();
  const [editingId, setEditingId] = useState<number>();
  const [pending, setPending] = useState<Pending>();
  const [busy, setBusy] = useState(false);
  const origin = window.location.origin;

  useEffect(() => {
    let cancelled = false;
    setLoadError(undefined);
    unwrap(api.client.GET("/projects/{project_id}/keys", { params: { path: { project_id: project.id } } }))
      .then((list) => !cancelled && setKeys(list))
      .catch((err) => !cancelled && setLoadError(errorMessage(err)));
    return () => {
      cancelled = true;
    };
  }, [project.id, attempt]);

  const replace = (key: ApiKey) => setKeys((list) => list?.map((k) => (k.id === key.id ? key : k)));

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

  const confirm = () =>
    pending &&
    run(async () => {
      const { action, key } = pending;
      const path = { key_id: key.id };
      try {
        if (action === "revoke") {
          await unwrap(api.client.DELETE("/projects/keys/{key_id}", { params: { path } }));
          setKeys((list) => list?.filter((k) => k.id !== key.id));
          if (editingId === key.id) setEditingId(undefined);
          if (revealed && revealed.kind !== "webhook" && revealed.keyId === key.id) setRevealed(undefined);
        } else {
          const { identity_secret } = await unwrap(api.client.POST("/projects/keys/{key_id}/identity-secret", { params: { path } }));
          setRevealed({ kind: "rotated", keyId: key.id, name: key.name, identitySecret: identity_secret });
        }
      } finally {
        setPending(undefined);
      }
    });

  const allowDashboard = (key: ApiKey) =>
    run(async () => {
      const body = { allowed_origins: withOrigin(key.allowed_origins, origin) };
      replace(await unwrap(api.client.PATCH("/projects/keys/{key_id}", { params: { path: { key_id: key.id } }, body })));
    });

  const publishable = keys?.filter((k) => k.kind === "publishable") ?? [];
  const fresh =
    revealed?.kind === "created" && revealed.keyKind === "publishable" ? { keyId: revealed.keyId, key: revealed.key } : undefined;

  return (
    <div className="publish">
      <ReleasesSection project={project} />
      {revealed && <SecretReveal revealed={revealed} onDismiss={() => setRevealed(undefined)} />}

      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <p className="muted small">
          Secret keys let your servers call this bot; publishable keys let the chat widget run on your website. Keys
          are shown here by their first characters only.
        </p>
        {loadError && <Alert onRetry={() => setAttempt((n) => n + 1)}>{loadError}</Alert>}
        {error && <Alert>{error}</Alert>}
        {!keys && !loadError && <p className="muted">Loading keys…</p>}
        {keys?.length === 0 && <p className="muted">No keys yet: create one below.</p>}
        {keys && keys.length > 0 && (
          <KeysTable
            keys={keys}
            editingId={editingId}
            dashboardOrigin={origin}
            disabled={busy}
            onEdit={setEditingId}
            onSaved={(key) => {
              replace(key);
              setEditingId(undefined);
            }}
            onRotate={(key) => setPending({ action: "rotate", key })}
            onRevoke={(key) => setPending({ action: "revoke", key })}
          />
        )}
      </section>

      <div className="publish-panels">
        <section className="card" aria-labelledby="create-key-title">
          <h2 id="create-key-title">Create a key</h2>
          <KeyCreateForm
            projectId={project.id}
            dashboardOrigin={origin}
            onCreated={(created) => {
              const { key, identity_secret, ...listed } = created;
              setKeys((list) => [...(list ?? []), listed]);
              setRevealed({
                kind: "created",
                keyId: created.id,
                name: created.name,
                keyKind: created.kind,
                key,
                identitySecret: identity_secret,
              });
            }}
          />
        </section>
        <div className="panel-column">
          <section className="card" aria-labelledby="widget-title">
            <h2 id="widget-title">Website widget</h2>
            <WidgetPanel
              keys={publishable}
              fresh={fresh}
              dashboardOrigin={origin}
              projectName={project.name}
              busy={busy}
              onAllowDashboard={allowDashboard}
            />
          </section>
          <section className="card" aria-labelledby="openai-title">
            <h2 id="openai-title">OpenAI-compatible API</h2>
            <OpenAIHint dashboardOrigin={origin} model={project.model} />
          </section>
        </div>
      </div>

      <WebhooksSection project={project} />

      <ConfirmDialog
        open={pending !== undefined}
        title={pending?.action === "rotate" ? "Rotate the identity secret?" : "Revoke this key?"}
        confirmLabel={pending?.action === "rotate" ? "Rotate secret" : "Revoke key"}
        busy={busy}
        onConfirm={() => void confirm()}
        onCancel={() => setPending(undefined)}
      >
        {pending?.action === "rotate" ? (
          <p>
            <strong>{pending.key.name}</strong> gets a new identity secret, shown once. User hashes made with the
            current one stop working at once.
          </p>
        ) : (
          <p>
            <strong>{pending?.key.name}</strong> (<code>{pending?.key.prefix}…</code>) stops working from the next
            request: every server or site using it is refused. This cannot be undone.
          </p>
        )}
      </ConfirmDialog>
    </div>
  );
}
