import { forwardRef, useEffect, useState, type FormEvent, type KeyboardEvent } from "react";

interface ComposerProps {
  projectName: string;
  streaming: boolean;
  onSend: (text: string) => void;
  onStop: () => void;
  /** Text to put in the box (Edit and resend); a new object each time, even for the same text. */
  draft?: { text: string };
}

/** The message box: Enter sends, Shift+Enter starts a new line; Stop ends a reply in progress. */
export const Composer = forwardRef<HTMLTextAreaElement, ComposerProps>(function Composer(
  { projectName, streaming, onSend, onStop, draft },
  ref,
) {
  const [text, setText] = useState("");
  useEffect(() => {
    if (draft) setText(draft.text);
  }, [draft]);

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (streaming || !text.trim()) return;
    onSend(text);
    setText("");
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
  }

  const rows = Math.min(8, Math.max(1, text.split("\n").length));
  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="message-input" className="sr-only">
        Message
      </label>
      <textarea
        id="message-input"
        ref={ref}
        rows={rows}
        maxLength={32000}
        placeholder={`Message ${projectName}…`}
        aria-describedby="composer-hint"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      {streaming ? (
        <button type="button" className="button danger" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className="button primary" disabled={!text.trim()}>
          Send
        </button>
      )}
      <span id="composer-hint" className="hint">
        Enter to send, Shift+Enter for a new line.
      </span>
    </form>
  );
});
