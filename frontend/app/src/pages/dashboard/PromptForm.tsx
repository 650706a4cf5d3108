import { useState, type FormEvent } from "react";

export interface PromptDraft {
  name: string;
  content: string;
}

interface PromptFormProps {
  idPrefix: string;
  initial?: PromptDraft;
  submitLabel: string;
  busy: boolean;
  resetOnSubmit?: boolean;
  /** Resolves false when the change failed: the form then keeps what was typed. */
  onSubmit: (draft: PromptDraft) => Promise<boolean>;
  onCancel?: () => void;
}

/** Name and content of a prompt, for adding one or editing one. */
export function PromptForm({ idPrefix, initial, submitLabel, busy, resetOnSubmit, onSubmit, onCancel }: PromptFormProps) {
  const [name, setName] = useState(initial?.name ?? "");
  const [content, setContent] = useState(initial?.content ?? "");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await onSubmit({ name, content });
    if (ok && resetOnSubmit) {
      setName("");
      setContent("");
    }
  }

  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${idPrefix}-name`}>Name</label>
        <input
          id={`${idPrefix}-name`}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. Tone of voice"
        />
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-content`}>Content</label>
        <textarea
          id={`${idPrefix}-content`}
          required
          maxLength={32000}
          rows={4}
          value={content}
          onChange={(e) => setContent(e.target.value)}
          placeholder="e.g. Answer briefly and politely."
        />
      </div>
      <div className="row">
        <button type="submit" className="button primary" disabled={busy || !name.trim() || !content.trim()}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
