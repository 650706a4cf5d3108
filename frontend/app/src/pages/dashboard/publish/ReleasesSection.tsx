import { useEffect, useState, type FormEvent } from "react";
import type { Project, Release, ReleaseSummary } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { ApiError, api, errorMessage, unwrap } from "../../../lib/api";
import { formatDateTime } from "../../../lib/format";

/** The most a release note may hold (ReleaseCreate.note's maxLength in api/openapi.yaml). */
const NOTE_MAX = 500;

/**
 * A project's releases: snapshot the draft as a new release (published at once), list them with the published one
 * marked, view one with what changes from it to the published one, and publish another (a rollback) after a confirm.
 */
export function ReleasesSection({ project }: { project: Project }) {
  const [releases, setReleases] = useState<ReleaseSummary[]>();
  const [loadError, setLoadError] = useState<string>();
  const [error, setError] = useState<string>();
  // A gate refusal (409) can be overridden: the release is then made anyway.
  const [refused, setRefused] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [note, setNote] = useState("");
  const [viewing, setViewing] = useState<Release>();
  const [pending, setPending] = useState<ReleaseSummary>();
  const [busy, setBusy] = useState(false);
  const path = { project_id: project.id };

  useEffect(() => {
    let cancelled = false;
    setLoadError(undefined);
    unwrap(api.client.GET("/projects/{project_id}/releases", { params: { path: { project_id: project.id } } }))
      .then((list) => !cancelled && setReleases(list))
      .catch((err) => !cancelled && setLoadError(errorMessage(err)));
    return () => {
      cancelled = true;
    };
  }, [project.id, attempt]);

  const published = releases?.find((r) => r.published);

  async function run(change: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    setRefused(false);
    try {
      await change();
    } catch (err) {
      setError(errorMessage(err));
      setRefused(err instanceof ApiError && err.status === 409);
    }
    setBusy(false);
  }

  const create = (force: boolean) =>
    run(async () => {
      const made = await unwrap(api.client.POST("/projects/{project_id}/releases", { params: { path }, body: { note: note.trim(), force } }));
      setNote("");
      setViewing(undefined);
      setReleases((list) => [made, ...(list ?? []).map((r) => ({ ...r, published: false }))]);
    });

  const view = (r: ReleaseSummary) =>
    run(async () => {
      const get = (number: number, diffTo?: number) =>
        unwrap(
          api.client.GET("/projects/{project_id}/releases/{number}", {
            params: { path: { ...path, number }, query: diffTo ? { diff_to: diffTo } : {} },
          }),
        );
      const shown = await get(r.number);
      // Asked of the published release with diff_to: the diff reads as "what publishing this one changes".
      const diff = published && published.number !== r.number ? (await get(published.number, r.number)).diff : undefined;
      setViewing({ ...shown, diff });
    });

  const publish = () =>
    pending &&
    run(async () => {
      try {
        const now = await unwrap(
          api.client.POST("/projects/{project_id}/releases/{number}/publish", { params: { path: { ...path, number: pending.number } } }),
        );
        setReleases((list) => list?.map((r) => ({ ...r, published: r.number === now.number })));
        if (viewing) setViewing(undefined);
      } finally {
        setPending(undefined);
      }
    });

  function submit(e: FormEvent) {
    e.preventDefault();
    void create(false);
  }

  const rollback = pending && published && pending.number < published.number;

  return (
    <section className="card" aria-labelledby="releases-title">
      <h2 id="releases-title">Releases</h2>
      <p className="muted small">
        Keys, the widget and the OpenAI-compatible endpoint answer with the published release; what you edit on the
        Build tab is the draft. A release snapshots the draft (prompts, settings, files) and publishes it.
        {!published && releases && " No release yet: everyone gets the draft."}
      </p>
      {loadError && <Alert onRetry={() => setAttempt((n) => n + 1)}>{loadError}</Alert>}
      {error && (
        <Alert>
          {error}
          {refused && (
            <>
              {" "}
              <button type="button" className="button small" disabled={busy} onClick={() => void create(true)}>
                Create anyway
              </button>
            </>
          )}
        </Alert>
      )}
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="release-note">Note</label>
        <input
          id="release-note"
          className="grow"
          maxLength={NOTE_MAX}
          placeholder="What changed (optional)"
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy}>
          Create release
        </button>
      </form>
      {!releases && !loadError && <p className="muted">Loading releases…</p>}
      {releases && releases.length > 0 && (
        <div className="table-scroll">
          <table className="keys-table releases-table">
            <thead>
              <tr>
                <th scope="col">Release</th>
                <th scope="col">Note</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {releases.map((r) => (
                <tr key={r.number} data-release={r.number}>
                  <th scope="row">
                    Release {r.number} {r.published && <span className="badge status-completed">published</span>}
                  </th>
                  <td data-label="Note">{r.note || <span className="muted">—</span>}</td>
                  <td data-label="Created">{formatDateTime(r.created_at)}</td>
                  <td className="key-actions">
                    <button type="button" className="button small" disabled={busy} onClick={() => void view(r)}>
                      View
                    </button>
                    {!r.published && (
                      <button type="button" className="button small" disabled={busy} onClick={() => setPending(r)}>
                        {published && r.number < published.number ? "Roll back" : "Publish"}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {viewing && <ReleaseView release={viewing} published={published?.number} onClose={() => setViewing(undefined)} />}
      <ConfirmDialog
        open={pending !== undefined}
        title={rollback ? `Roll back to release ${pending?.number}?` : `Publish release ${pending?.number}?`}
        confirmLabel={rollback ? "Roll back" : "Publish"}
        busy={busy}
        onConfirm={() => void publish()}
        onCancel={() => setPending(undefined)}
      >
        <p>
          From the next message on, keys, the widget and the OpenAI-compatible endpoint answer with release{" "}
          {pending?.number}
          {pending?.note ? ` (${pending.note})` : ""}. Keys pinned to a release keep theirs.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** One release: its system prompt, settings and files, and the diff from the published release to it. */
function ReleaseView({ release, published, onClose }: { release: Release; published?: number; onClose: () => void }) {
  const s = release.snapshot;
  const diff = release.diff;
  return (
    <div className="release-view" aria-label={`Release ${release.number}`}>
      <div className="release-view-head">
        <h3>Release {release.number}</h3>
        <button type="button" className="button small" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="small">
        {s.model} · temperature {s.temperature} · at most {s.max_output_tokens} output tokens
      </p>
      {diff && published !== undefined && (
        <>
          <h4>Changes from the published release {published}</h4>
          {diff.system_prompt === "" && diff.settings.length === 0 && diff.files_added.length === 0 && diff.files_removed.length === 0 ? (
            <p className="muted small">None: they answer alike.</p>
          ) : (
            <>
              {diff.system_prompt && <DiffText text={diff.system_prompt} />}
              <ul className="small">
                {diff.settings.map((c) => (
                  <li key={c.name}>
                    {c.name}: {c.from} → {c.to}
                  </li>
                ))}
                {diff.files_added.map((f) => (
                  <li key={`+${f.id}`}>file added: {f.filename}</li>
                ))}
                {diff.files_removed.map((f) => (
                  <li key={`-${f.id}`}>file removed: {f.filename}</li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
      <h4>System prompt</h4>
      <pre className="release-prompt">{s.system_prompt}</pre>
      <h4>Files</h4>
      {s.files.length === 0 ? (
        <p className="muted small">None.</p>
      ) : (
        <ul className="small">
          {s.files.map((f) => (
            <li key={f.id}>{f.filename}</li>
          ))}
        </ul>
      )}
      {release.removed_files.length > 0 && (
        <p className="warning-text small">
          Deleted since with force: {release.removed_files.map((f) => f.filename).join(", ")}
        </p>
      )}
    </div>
  );
}

/** A unified diff, each line marked as added, removed or kept. */
function DiffText({ text }: { text: string }) {
  return (
    <pre className="release-diff">
      {text.split("\n").map((line, i) => {
        const kind = line.startsWith("+++") || line.startsWith("---") || line.startsWith("@@") ? "meta" : line[0] === "+" ? "add" : line[0] === "-" ? "del" : "same";
        return (
          <span key={i} className={`diff-${kind}`}>
            {line}
            {"\n"}
          </span>
        );
      })}
    </pre>
  );
}
