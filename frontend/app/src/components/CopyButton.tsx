import { useEffect, useState } from "react";

interface CopyButtonProps {
  /** What is copied when clicked (read at click time, so a streaming reply copies what has arrived). */
  text: () => string;
  /** The button's accessible name, e.g. "Copy reply". */
  label: string;
  className?: string;
}

const SHOWN_MS = 2000;

/**
 * A small Copy button: says "Copied" for two seconds, or "Copy failed" when the clipboard is refused (it needs a
 * secure context and the reader's permission). The outcome is announced through a polite status.
 */
export function CopyButton({ text, label, className = "" }: CopyButtonProps) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");

  useEffect(() => {
    if (state === "idle") return;
    const timer = window.setTimeout(() => setState("idle"), SHOWN_MS);
    return () => window.clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text());
      setState("copied");
    } catch {
      setState("failed");
    }
  }

  return (
    <button type="button" className={`button small ghost copy-button ${className}`} aria-label={label} onClick={() => void copy()}>
      <span aria-hidden="true">{state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : "Copy"}</span>
      <span className="sr-only" role="status">
        {state === "copied" ? "Copied to the clipboard." : state === "failed" ? "The clipboard is not available here." : ""}
      </span>
    </button>
  );
}
