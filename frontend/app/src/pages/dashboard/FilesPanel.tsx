import { useEffect, useRef, useState, type FormEvent } from "react";
import type { ProjectFile } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { PAGE_MAX, api, errorMessage, isAbortError, unwrap } from "../../lib/api";
import { formatBytes } from "../../lib/format";

const STATUS_LABELS: Record<ProjectFile["status"], string> = {
  in_progress: "Indexing…",
  completed: "Indexed",
  failed: "Failed",
  unsupported: "Not searchable",
};

// Indexing happens at OpenAI after the upload answers; poll while a file is still in progress.
const POLL_MS = 3000;

/** A project's knowledge files: upload with progress, size, indexing status, delete. */
export function FilesPanel({ projectId }: { projectId: number }) {
  const [files, setFiles] = useState<ProjectFile[]>();
  const [error, setError] = useState<string>();
  const [progress, setProgress] = useState<{ name: string; percent: number }>();
  const [deleting, setDeleting] = useState<ProjectFile>();
  const [busy, setBusy] = useState(false);
  const [refresh, setRefresh] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const uploadAbort = useRef<AbortController | null>(null);

  useEffect(() => {
    let cancelled = false;
    unwrap(api.client.GET("/projects/{project_id}/files", { params: { path: { project_id: projectId }, query: { limit: PAGE_MAX } } }))
      .then((list) => !cancelled && setFiles(list))
      .catch((err) => !cancelled && setError(errorMessage(err)));
    return () => {
      cancelled = true;
    };
  }, [projectId, refresh]);

  const indexing = files?.some((f) => f.status === "in_progress") ?? false;
  useEffect(() => {
    if (!indexing) return;
    const timer = window.setTimeout(() => setRefresh((n) => n + 1), POLL_MS);
    return () => window.clearTimeout(timer);
  }, [indexing, files]);

  useEffect(() => () => uploadAbort.current?.abort(), []);

  async function upload(e: FormEvent) {
    e.preventDefault();
    const file = inputRef.current?.files?.[0];
    if (!file) return;
    setError(undefined);
    const controller = new AbortController();
    uploadAbort.current = controller;
    setProgress({ name: file.name, percent: 0 });
    try {
      const stored = await api.uploadFile(projectId, file, {
        signal: controller.signal,
        onProgress: ({ loaded, total }) => setProgress({ name: file.name, percent: total ? Math.round((loaded / total) * 100) : 0 }),
      });
      setFiles((list) => [...(list ?? []), stored]);
      if (inputRef.current) inputRef.current.value = "";
    } catch (err) {
      setError(isAbortError(err) ? "Upload cancelled." : errorMessage(err));
    }
    uploadAbort.current = null;
    setProgress(undefined);
  }

  async function remove(file: ProjectFile) {
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(api.client.DELETE("/projects/files/{file_id}", { params: { path: { file_id: file.id } } }));
      setFiles((list) => list?.filter((f) => f.id !== file.id));
    } catch (err) {
      setError(errorMessage(err));
    }
    setDeleting(undefined);
    setBusy(false);
  }

  return (
    <section className="card" aria-labelledby="files-title">
      <h2 id="files-title">Knowledge files</h2>
      <p className="muted small">The bot searches these files when it answers.</p>
      <form className="upload-form" onSubmit={upload}>
        <label htmlFor="file-input">File to upload</label>
        <div className="row">
          <input id="file-input" ref={inputRef} type="file" required disabled={progress !== undefined} />
          {progress ? (
            <button type="button" className="button" onClick={() => uploadAbort.current?.abort()}>
              Cancel
            </button>
          ) : (
            <button type="submit" className="button primary">
              Upload
            </button>
          )}
        </div>
        {progress && (
          <div className="progress">
            <label htmlFor="upload-progress">
              Uploading {progress.name}: {progress.percent}%
            </label>
            <progress id="upload-progress" max={100} value={progress.percent} />
          </div>
        )}
      </form>
      {error && <Alert>{error}</Alert>}
      {files && files.length === 0 && <p className="muted">No files yet.</p>}
      {files && files.length > 0 && (
        <ul className="file-list">
          {files.map((file) => (
            <li key={file.id} className="file-row">
              <div className="file-main">
                <span className="file-name">{file.filename}</span>
                <span className="muted small">{formatBytes(file.file_size)}</span>
              </div>
              <span className={`badge status-${file.status}`} title={file.status_detail || undefined}>
                {STATUS_LABELS[file.status] ?? file.status}
              </span>
              <button
                type="button"
                className="button small danger"
                aria-label={`Delete file ${file.filename}`}
                onClick={() => setDeleting(file)}
              >
                Delete
              </button>
              {file.status_detail && file.status !== "completed" && <p className="file-detail muted small">{file.status_detail}</p>}
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete this file?"
        confirmLabel="Delete file"
        busy={busy}
        onConfirm={() => deleting && remove(deleting)}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          <strong>{deleting?.filename}</strong> will be deleted here and at OpenAI.
        </p>
      </ConfirmDialog>
    </section>
  );
}
