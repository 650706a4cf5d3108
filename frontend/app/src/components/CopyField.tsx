import { useEffect, useId, useRef, useState } from "react";

interface CopyFieldProps {
  /** Names the value (and its Copy button, for screen readers: "Copy <label>"). */
  label: string;
  value: string;
  /** Code: scrolls sideways rather than wrapping. Anything else wraps, a key anywhere, so all of it shows. */
  code?: boolean;
}

type CopyState = "idle" | "copied" | "selected";

/** Selects the text of an element, so the reader can copy it with the keyboard. */
function selectContents(el: HTMLElement | null): void {
  const selection = window.getSelection();
  if (!el || !selection) return;
  el.focus(); // first: focusing may move the selection
  const range = document.createRange();
  range.selectNodeContents(el);
  selection.removeAllRanges();
  selection.addRange(range);
}

/**
 * A value to copy (a key, a snippet, code) with a Copy button. The clipboard API needs a secure context and the
 * reader's permission; without it the text is selected instead, with a hint to press Ctrl+C.
 */
export function CopyField({ label, value, code }: CopyFieldProps) {
  const [state, setState] = useState<CopyState>("idle");
  const ref = useRef<HTMLPreElement>(null);
  const labelId = useId();

  useEffect(() => setState("idle"), [value]);

  async function copy() {
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      selectContents(ref.current);
      setState("selected");
    }
  }

  return (
    <div className="copy-field">
      <div className="copy-field-head">
        <span className="copy-field-label" id={labelId}>
          {label}
        </span>
        {/* The name starts with the visible word, so voice control users can say what they see. */}
        <button type="button" className="button small" aria-label={`${state === "copied" ? "Copied" : "Copy"} ${label}`} onClick={() => void copy()}>
          {state === "copied" ? "Copied" : "Copy"}
        </button>
      </div>
      <pre ref={ref} className={`copy-value${code ? " code" : ""}`} aria-labelledby={labelId} tabIndex={0}>
        {value}
      </pre>
      <span className="hint" role="status">
        {state === "copied" && "Copied to the clipboard."}
        {state === "selected" && "The clipboard is not available here: the text is selected, press Ctrl+C (⌘C on a Mac) to copy it."}
      </span>
    </div>
  );
}
