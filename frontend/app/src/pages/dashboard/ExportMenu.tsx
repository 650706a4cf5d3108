import { useState } from "react";
import { errorMessage } from "../../lib/api";
import { exportBundle, exportMarkdown } from "../../lib/bundles";

/** The project's export buttons: the bundle (JSON, with or without conversations) and the conversations as Markdown. */
export function ExportMenu({ projectId, onError }: { projectId: number; onError: (message: string) => void }) {
  const [busy, setBusy] = useState(false);

  async function run(download: () => Promise<void>) {
    setBusy(true);
    try {
      await download();
    } catch (err) {
      onError(errorMessage(err));
    }
    setBusy(false);
  }

  return (
    <details className="menu">
      <summary className="button">Export</summary>
      <div className="menu-items" role="group" aria-label="Export">
        <button type="button" className="menu-item" disabled={busy} onClick={() => void run(() => exportBundle(projectId, false))}>
          Bundle (JSON)
          <span className="muted">settings, prompts, file names</span>
        </button>
        <button type="button" className="menu-item" disabled={busy} onClick={() => void run(() => exportBundle(projectId, true))}>
          Bundle with conversations (JSON)
        </button>
        <button type="button" className="menu-item" disabled={busy} onClick={() => void run(() => exportMarkdown(projectId))}>
          Conversations as Markdown (zip)
        </button>
      </div>
    </details>
  );
}
