import { useEffect, useState } from "react";
import type { Prompt } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { PAGE_MAX, api, errorMessage, unwrap } from "../../lib/api";
import { composeSystemPrompt, moveItem, positionChanges, sortPrompts } from "../../lib/prompts";
import { PromptForm, type PromptDraft } from "./PromptForm";
import { PromptItem } from "./PromptItem";

/** A project's prompts: add, edit, enable/disable, reorder, delete, and the system prompt they compose. */
export function PromptsPanel({ projectId }: { projectId: number }) {
  const [prompts, setPrompts] = useState<Prompt[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState<Prompt>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    unwrap(api.client.GET("/projects/{project_id}/prompts", { params: { path: { project_id: projectId }, query: { limit: PAGE_MAX } } }))
      .then((list) => setPrompts(sortPrompts(list)))
      .catch((err) => setError(errorMessage(err)));
  }, [projectId, attempt]);

  /** Runs a change; on failure shows why and reloads, since the list may now differ from the server. */
  async function run(change: () => Promise<void>): Promise<boolean> {
    setBusy(true);
    setError(undefined);
    let ok = true;
    try {
      await change();
    } catch (err) {
      ok = false;
      setError(errorMessage(err));
      setAttempt((n) => n + 1);
    }
    setBusy(false);
    return ok;
  }

  const put = (prompt: Prompt, changes: Partial<Pick<Prompt, "name" | "content" | "position" | "enabled">>) =>
    unwrap(
      api.client.PUT("/projects/prompts/{prompt_id}", {
        params: { path: { prompt_id: prompt.id } },
        body: { name: prompt.name, content: prompt.content, ...changes },
      }),
    );

  const replace = (updated: Prompt) => setPrompts((list) => sortPrompts((list ?? []).map((p) => (p.id === updated.id ? updated : p))));

  const create = (draft: PromptDraft) =>
    run(async () => {
      const body = { name: draft.name.trim(), content: draft.content };
      const created = await unwrap(
        api.client.POST("/projects/{project_id}/prompts", { params: { path: { project_id: projectId } }, body }),
      );
      setPrompts((list) => sortPrompts([...(list ?? []), created]));
    });

  const move = (index: number, by: number) =>
    run(async () => {
      const ordered = moveItem(prompts ?? [], index, index + by);
      // Show the new order at once; the PUTs renumber positions 0..n-1 where they differ.
      setPrompts(ordered);
      let next = ordered;
      for (const { prompt, position } of positionChanges(ordered)) {
        const saved = await put(prompt, { position });
        next = next.map((p) => (p.id === saved.id ? saved : p));
      }
      setPrompts(sortPrompts(next));
    });

  const toggle = (prompt: Prompt) => {
    // Flip at once so the switch answers the click; a failure reloads the server's state.
    const enabled = !prompt.enabled;
    setPrompts((list) => list?.map((p) => (p.id === prompt.id ? { ...p, enabled } : p)));
    return run(async () => replace(await put(prompt, { enabled })));
  };

  const remove = (prompt: Prompt) =>
    run(async () => {
      await unwrap(api.client.DELETE("/projects/prompts/{prompt_id}", { params: { path: { prompt_id: prompt.id } } }));
      setPrompts((list) => list?.filter((p) => p.id !== prompt.id));
      setDeleting(undefined);
    });

  const composed = prompts ? composeSystemPrompt(prompts) : "";

  return (
    <section className="card" aria-labelledby="prompts-title">
      <h2 id="prompts-title">Prompts</h2>
      <p className="muted small">Enabled prompts are joined in this order into the bot&apos;s system prompt.</p>
      {error && <Alert onRetry={() => setAttempt((n) => n + 1)}>{error}</Alert>}
      {!prompts && !error && <p className="muted">Loading prompts…</p>}
      {prompts && prompts.length > 0 && (
        <ol className="prompt-list" aria-busy={busy}>
          {prompts.map((prompt, index) => (
            <PromptItem
              key={prompt.id}
              prompt={prompt}
              first={index === 0}
              last={index === prompts.length - 1}
              disabled={busy}
              onMove={(by) => move(index, by)}
              onToggle={() => toggle(prompt)}
              onSave={(draft) => run(async () => replace(await put(prompt, { name: draft.name.trim(), content: draft.content })))}
              onDelete={() => setDeleting(prompt)}
            />
          ))}
        </ol>
      )}
      {prompts?.length === 0 && <p className="muted">No prompts yet: the bot uses the default assistant prompt.</p>}

      <h3 id="composed-title">System prompt</h3>
      <pre className="composed" id="composed-prompt" aria-labelledby="composed-title" tabIndex={0}>
        {composed || <span className="muted">(none enabled: the server&apos;s default assistant prompt is used)</span>}
      </pre>

      <div className="add-prompt">
        <h3>Add a prompt</h3>
        <PromptForm idPrefix="new-prompt" submitLabel="Add prompt" busy={busy} onSubmit={create} resetOnSubmit />
      </div>

      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete this prompt?"
        confirmLabel="Delete prompt"
        busy={busy}
        onConfirm={() => deleting && remove(deleting)}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          <strong>{deleting?.name}</strong> will be removed from the system prompt.
        </p>
      </ConfirmDialog>
    </section>
  );
}
