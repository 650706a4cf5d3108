import { useEffect, useId, useRef, useState } from "react";
import { Alert } from "../../components/Alert";
import { errorMessage } from "../../lib/api";
import { importBundleFile, importTemplate, listTemplates, type ImportResult, type ProjectTemplate } from "../../lib/bundles";

interface ImportProjectProps {
  onImported: (result: ImportResult) => void;
}

/**
 * Import a bundle file (a project exported here or elsewhere) or start from a shipped template: both create a
 * new project, which the dashboard then opens.
 */
export function ImportProject({ onImported }: ImportProjectProps) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [choosing, setChoosing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function run(create: () => Promise<ImportResult>) {
    setBusy(true);
    setError(undefined);
    try {
      const result = await create();
      setChoosing(false);
      onImported(result);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  return (
    <div className="import-project">
      <div className="import-actions">
        <button type="button" className="button small" disabled={busy} onClick={() => setChoosing(true)}>
          New project from template
        </button>
        <button type="button" className="button small" disabled={busy} onClick={() => fileInput.current?.click()}>
          Import…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          hidden
          aria-label="Bundle file to import"
          data-testid="import-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = ""; // picking the same file again still imports
            if (file) void run(() => importBundleFile(file));
          }}
        />
      </div>
      {error && !choosing && <Alert>Import failed: {error}</Alert>}
      <TemplateDialog
        open={choosing}
        busy={busy}
        error={choosing ? error : undefined}
        onPick={(name) => void run(() => importTemplate(name))}
        onClose={() => {
          setChoosing(false);
          setError(undefined);
        }}
      />
    </div>
  );
}

interface TemplateDialogProps {
  open: boolean;
  busy: boolean;
  error?: string;
  onPick: (name: string) => void;
  onClose: () => void;
}

/** The shipped templates on the native <dialog>; picking one creates the project. */
function TemplateDialog({ open, busy, error, onPick, onClose }: TemplateDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [templates, setTemplates] = useState<ProjectTemplate[]>();
  const [loadError, setLoadError] = useState<string>();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal?.();
    if (!open && dialog.open) dialog.close?.();
    if (open && !templates) {
      listTemplates()
        .then(setTemplates)
        .catch((err) => setLoadError(errorMessage(err)));
    }
  }, [open, templates]);

  return (
    <dialog
      ref={ref}
      className="dialog template-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>New project from template</h2>
      <div className="dialog-body">
        {loadError && <Alert>{loadError}</Alert>}
        {!templates && !loadError && <p className="muted">Loading templates…</p>}
        <ul className="template-list">
          {templates?.map((t) => (
            <li key={t.name}>
              <button type="button" className="template-option" disabled={busy} onClick={() => onPick(t.name)}>
                <span className="template-title">{t.title}</span>
                <span className="template-description">{t.description}</span>
              </button>
            </li>
          ))}
        </ul>
        {error && <Alert>{error}</Alert>}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
