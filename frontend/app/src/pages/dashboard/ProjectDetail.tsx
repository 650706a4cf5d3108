import { Suspense, lazy, useState, type FormEvent } from "react";
import type { Project } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { api, errorMessage, unwrap } from "../../lib/api";
import { writeParams } from "../../lib/url";
import { ExportMenu } from "./ExportMenu";
import { FeedbackPanel } from "./FeedbackPanel";
import { FilesPanel } from "./FilesPanel";
import { PricePanel } from "./PricePanel";
import { PromptsPanel } from "./PromptsPanel";
import { PublishPanel } from "./publish/PublishPanel";
import { SettingsPanel } from "./SettingsPanel";
import { Tabs } from "./Tabs";

// The Usage tab (and with it the chart library) is its own chunk, loaded when the tab is first opened.
const UsagePanel = lazy(() => import("./usage/UsagePanel"));
// So is "Try it" (the chat's Markdown and streaming code), loaded when first opened.
const TryPanel = lazy(() => import("./TryPanel"));
// And the Evaluations tab.
const EvalsPanel = lazy(() => import("./evals/EvalsPanel"));

type Tab = "build" | "evals" | "publish" | "feedback" | "usage";

const TABS: readonly { id: Tab; label: string }[] = [
  { id: "build", label: "Build" },
  { id: "evals", label: "Evaluations" },
  { id: "publish", label: "Publish" },
  { id: "feedback", label: "Feedback" },
  { id: "usage", label: "Usage" },
];

const initialTab = (): Tab => {
  const tab = new URLSearchParams(window.location.search).get("tab");
  return TABS.find((t) => t.id === tab)?.id ?? "build";
};

interface ProjectDetailProps {
  project: Project;
  /** Set just after an import: the bundle's files, to upload again. */
  missingFiles?: string[];
  onDismissMissingFiles?: () => void;
  onUpdated: (project: Project) => void;
  onDeleted: (id: number) => void;
}

/** One project: its name (rename, delete), the panels for prompts, settings and files, and its Evaluations, Publish, Feedback and Usage tabs. */
export function ProjectDetail({ project, missingFiles, onDismissMissingFiles, onUpdated, onDeleted }: ProjectDetailProps) {
  const [tab, setTab] = useState<Tab>(initialTab);
  // The Publish tab mounts when first opened and then stays mounted (hidden), so a key shown once survives a
  // look at the prompts.
  const [publishOpened, setPublishOpened] = useState(tab === "publish");
  const [trying, setTrying] = useState(false);
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
              <ExportMenu projectId={project.id} onError={setError} />
              <button type="button" className="button danger" onClick={() => setConfirming(true)}>
                Delete
              </button>
            </div>
          </>
        )}
      </header>
      {error && <Alert>{error}</Alert>}
      {missingFiles && (
        <Alert kind="success">
          <p>Imported as a new project.</p>
          {missingFiles.length > 0 && (
            <>
              <p>Upload these files again under Files (a bundle carries their names, not their contents):</p>
              <ul className="missing-files">
                {missingFiles.map((f) => (
                  <li key={f}>{f}</li>
                ))}
              </ul>
            </>
          )}
          <button type="button" className="button small" onClick={onDismissMissingFiles}>
            Dismiss
          </button>
        </Alert>
      )}

      <Tabs
        label="Project sections"
        tabs={TABS}
        selected={tab}
        onSelect={(next) => {
          setTab(next);
          if (next === "publish") setPublishOpened(true);
          writeParams({ tab: next === "build" ? undefined : next, range: undefined });
        }}
      />
      <div className="panels" role="tabpanel" id="tabpanel-build" aria-labelledby="tab-build" hidden={tab !== "build"}>
        <PromptsPanel projectId={project.id} />
        <div className="panel-column">
          {trying ? (
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <TryPanel project={project} onClose={() => setTrying(false)} />
            </Suspense>
          ) : (
            <button type="button" className="button primary try-open" onClick={() => setTrying(true)}>
              Try it: chat with {project.name}
            </button>
          )}
          <SettingsPanel project={project} onSaved={onUpdated} />
          <PricePanel project={project} onSaved={onUpdated} />
          <FilesPanel projectId={project.id} />
        </div>
      </div>
      {/* Mounted only while open: cases and runs are fetched afresh each time it is shown (the draft may have changed). */}
      <div role="tabpanel" id="tabpanel-evals" aria-labelledby="tab-evals" hidden={tab !== "evals"}>
        {tab === "evals" && (
          <Suspense fallback={<p className="muted">Loading evaluations…</p>}>
            <EvalsPanel project={project} />
          </Suspense>
        )}
      </div>
      <div role="tabpanel" id="tabpanel-publish" aria-labelledby="tab-publish" hidden={tab !== "publish"}>
        {publishOpened && <PublishPanel project={project} />}
      </div>
      {/* Mounted only while open, like Usage: the ratings are fetched afresh each time it is shown. */}
      <div role="tabpanel" id="tabpanel-feedback" aria-labelledby="tab-feedback" hidden={tab !== "feedback"}>
        {tab === "feedback" && <FeedbackPanel project={project} />}
      </div>
      {/* Mounted only while open: its figures are fetched afresh each time it is shown. */}
      <div role="tabpanel" id="tabpanel-usage" aria-labelledby="tab-usage" hidden={tab !== "usage"}>
        {tab === "usage" && (
          <Suspense fallback={<p className="muted">Loading usage…</p>}>
            <UsagePanel project={project} />
          </Suspense>
        )}
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
