import { useState, type FormEvent } from "react";
import type { Project } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { api, errorMessage, unwrap } from "../../lib/api";
import { FilesPanel } from "./FilesPanel";
import { PromptsPanel } from "./PromptsPanel";
import { SettingsPanel } from "./SettingsPanel";

interface ProjectDetailProps {
  project: Project;
  onUpdated: (project: Project) => void;
  onDeleted: (id: number) => void;
}

/** One project: its name (rename, delete) and the panels for prompts, settings and files. */
export function ProjectDetail({ project, onUpdated, onDeleted }: ProjectDetailProps) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(project.name);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function rename(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const path = { project_id: project.id };
      onUpdated(await unwrap(api.client.PATCH("/projects/{project_id}", { params: { path }, body: { name: name.trim() } })));
      setRenaming(false);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  async function remove() {
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(api.client.DELETE("/projects/{project_id}", { params: { path: { project_id: project.id } } }));
      setConfirming(false);
      onDeleted(project.id);
    } catch (err) {
      setConfirming(false);
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <article className="project-detail" aria-labelledby="project-title">
      <header className="project-header">
        {renaming ? (
          <form className="inline-form grow" onSubmit={rename}>
            <label htmlFor="rename-project" className="sr-only">
              Project name
            </label>
            <input
              id="rename-project"
              required
              maxLength={100}
              value={name}
              autoFocus
              onChange={(e) => setName(e.target.value)}
              onKeyDown={(e) => e.key === "Escape" && setRenaming(false)}
            />
            <button type="submit" className="button primary" disabled={busy || !name.trim()}>
              Save
            </button>
            <button type="button" className="button" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <h1 id="project-title">{project.name}</h1>
            <div className="header-actions">
              <a className="button primary" href={`/chat?project=${project.id}`}>
                Open chat
              </a>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setName(project.name);
                  setRenaming(true);
                }}
              >
                Rename
              </button>
              <button type="button" className="button danger" onClick={() => setConfirming(true)}>
                Delete
              </button>
            </div>
          </>
        )}
      </header>
      {error && <Alert>{error}</Alert>}

      <div className="panels">
        <PromptsPanel projectId={project.id} />
        <div className="panel-column">
          <SettingsPanel project={project} onSaved={onUpdated} />
          <FilesPanel projectId={project.id} />
        </div>
      </div>

      <ConfirmDialog
        open={confirming}
        title="Delete this project?"
        confirmLabel="Delete project"
        busy={busy}
        onConfirm={remove}
        onCancel={() => setConfirming(false)}
      >
        <p>
          <strong>{project.name}</strong> will be deleted with its prompts, files and conversations. This cannot be
          undone.
        </p>
      </ConfirmDialog>
    </article>
  );
}
