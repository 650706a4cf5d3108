import { useState } from "react";
import type { Prompt } from "@chatbot-platform/sdk";
import { PromptForm, type PromptDraft } from "./PromptForm";

interface PromptItemProps {
  prompt: Prompt;
  first: boolean;
  last: boolean;
  disabled: boolean;
  onMove: (by: -1 | 1) => void;
  onToggle: () => void;
  onSave: (draft: PromptDraft) => Promise<boolean>;
  onDelete: () => void;
}

/** One prompt card; names and contents are user text and only ever rendered as text. */
export function PromptItem({ prompt, first, last, disabled, onMove, onToggle, onSave, onDelete }: PromptItemProps) {
  const [editing, setEditing] = useState(false);

  if (editing) {
    return (
      <li className="prompt-card editing">
        <PromptForm
          idPrefix={`prompt-${prompt.id}`}
          initial={prompt}
          submitLabel="Save"
          busy={disabled}
          onSubmit={async (draft) => {
            const ok = await onSave(draft);
            if (ok) setEditing(false);
            return ok;
          }}
          onCancel={() => setEditing(false)}
        />
      </li>
    );
  }

  return (
    <li className={`prompt-card${prompt.enabled ? "" : " disabled"}`} data-prompt-id={prompt.id}>
      <div className="prompt-head">
        <span className="prompt-name">{prompt.name}</span>
        <label className="switch">
          <input type="checkbox" checked={prompt.enabled} disabled={disabled} onChange={onToggle} />
          <span>Enabled</span>
          <span className="sr-only">: {prompt.name}</span>
        </label>
      </div>
      {/* Focusable: a long prompt scrolls inside its card, which keyboard users must be able to do too. */}
      <p className="prompt-content" tabIndex={0}>
        {prompt.content}
      </p>
      <div className="prompt-actions">
        <button
          type="button"
          className="button small icon"
          aria-label={`Move up: ${prompt.name}`}
          title="Move up"
          disabled={disabled || first}
          onClick={() => onMove(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="button small icon"
          aria-label={`Move down: ${prompt.name}`}
          title="Move down"
          disabled={disabled || last}
          onClick={() => onMove(1)}
        >
          ↓
        </button>
        <span className="spacer" />
        <button type="button" className="button small" disabled={disabled} onClick={() => setEditing(true)}>
          Edit
        </button>
        <button type="button" className="button small danger" disabled={disabled} onClick={onDelete}>
          Delete
        </button>
      </div>
    </li>
  );
}
