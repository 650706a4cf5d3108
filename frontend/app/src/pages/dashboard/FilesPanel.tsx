import { useEffect, useRef, useState, type DragEvent, type FormEvent } from "react";
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

/** An upload in progress: one per file, each with its own progress and Cancel. */
interface Upload {
  id: number;
  name: string;
  percent: number;
  controller: AbortController;
}

let nextUpload = 0;

/** A project's knowledge files: upload several at once (or drop them) with progress, size, indexing status, delete. */
export function FilesPanel({ projectId }: { projectId: number }) {
  const [files, setFiles] = useState<ProjectFile[]>();
  const [error, setError] = useState<string>();
  const [notices, setNotices] = useState<string[]>([]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const [deleting, setDeleting] = useState<ProjectFile>();
  const [busy, setBusy] = useState(false);
  const [refresh, setRefresh] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const live = useRef(new Set<AbortController>());

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

  useEffect(() => {
    const controllers = live.current;
    return () => controllers.forEach((c) => c.abort());
  }, []);

  async function uploadOne(file: File) {
    const upload: Upload = { id: ++nextUpload, name: file.name, percent: 0, controller: new AbortController() };
    live.current.add(upload.controller);
    setUploads((list) => [...list, upload]);
    const set = (percent: number) => setUploads((list) => list.map((u) => (u.id === upload.id ? { ...u, percent } : u)));
    try {
      const stored = await api.uploadFile(projectId, file, {
        signal: upload.controller.signal,
        onProgress: ({ loaded, total }) => set(total ? Math.round((loaded / total) * 100) : 0),
      });
      setFiles((list) => [...(list ?? []), stored]);
    } catch (err) {
      if (isAbortError(err)) setNotices((list) => [...list, `Upload of ${file.name} cancelled.`]);
      else setError(`${file.name}: ${errorMessage(err)}`);
    }
    live.current.delete(upload.controller);
    setUploads((list) => list.filter((u) => u.id !== upload.id));
  }

  /** Starts one upload per file; the input is emptied at once, so nothing can send the same files twice. */
  function start(list: FileList | null | undefined) {
    const chosen = [...(list ?? [])];
    if (inputRef.current) inputRef.current.value = "";
    if (chosen.length === 0) return;
    setError(undefined);
    setNotices([]);
    chosen.forEach((f) => void uploadOne(f));
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    start(inputRef.current?.files);
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    start(e.dataTransfer.files);
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
      <form
        className={`upload-form${dragging ? " dragging" : ""}`}
        onSubmit={submit}
        onDragOver={(e) => {
          if (![...e.dataTransfer.types].includes("Files")) return;
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={onDrop}
      >
        <label htmlFor="file-input">File to upload</label>
        <div className="row">
          <input id="file-input" ref={inputRef} type="file" multiple required />
          <button type="submit" className="button primary">
            Upload
          </button>
        </div>
        <p className="hint">Choose several files at once, or drop them here.</p>
        {uploads.length > 0 && (
          <ul className="upload-list" aria-label="Uploads">
            {uploads.map((u) => (
              <li key={u.id} className="progress">
                <label htmlFor={`upload-${u.id}`}>
                  Uploading {u.name}: {u.percent}%
                </label>
                <div className="row">
                  <progress id={`upload-${u.id}`} max={100} value={u.percent} />
                  <button
                    type="button"
                    className="button small"
                    aria-label={`Cancel upload of ${u.name}`}
                    onClick={() => u.controller.abort()}
                  >
                    Cancel
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </form>
      {notices.length > 0 && (
        <Alert kind="info">
          {notices.map((n) => (
            <p key={n}>{n}</p>
          ))}
        </Alert>
      )}
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
