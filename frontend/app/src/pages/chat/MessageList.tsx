import { useCallback, useEffect, useMemo, useRef } from "react";
import { Alert } from "../../components/Alert";
import { CopyButton } from "../../components/CopyButton";
import { sourcesOf } from "../../components/citations";
import { Markdown } from "../../components/Markdown";
import { releaseLabel, replyFigures, type UiMessage } from "./messages";

interface MessageListProps {
  messages: UiMessage[];
  loading: boolean;
  projectName: string;
  /** The project's Usage tab, where its budgets are: offered when a reply is refused with 429. */
  usageHref: string;
  onRetry: (replyKey: string) => void;
  /** Absent while a reply streams: no new turn can start then. */
  onRegenerate?: (replyKey: string) => void;
  onEdit?: (text: string) => void;
}

/** The conversation: the reader's messages as plain text, the bot's as sanitised Markdown with citations. */
export function MessageList({ messages, loading, projectName, usageHref, onRetry, onRegenerate, onEdit }: MessageListProps) {
  const box = useRef<HTMLDivElement>(null);
  // Follow new text only while the reader is at the bottom: scrolling up to reread must not be undone.
  const following = useRef(true);
  const last = messages[messages.length - 1];

  // A conversation just opened or a message just sent: show the end again.
  const justSent = last?.state === "streaming" && last.content === "";
  useEffect(() => {
    following.current = true;
  }, [loading, justSent]);

  useEffect(() => {
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [loading, messages.length, last?.content, last?.state]);

  const streaming = last?.state === "streaming";
  return (
    <div
      className="messages"
      ref={box}
      aria-busy={loading || streaming}
      onScroll={(e) => {
        const el = e.currentTarget;
        following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      }}
    >
      {loading && <p className="muted">Loading conversation…</p>}
      {!loading && messages.length === 0 && (
        <div className="empty-state small">
          <h2>Chat with {projectName}</h2>
          <p className="muted">Ask anything. Replies follow the project&apos;s prompts and search its files.</p>
        </div>
      )}
      <ol className="message-list">
        {messages.map((m) => (
          <li key={m.key} className={`message ${m.role} state-${m.state}`} aria-busy={m.state === "streaming"}>
            <span className="message-author">{m.role === "user" ? "You" : "Assistant"}</span>
            {m.role === "user" ? <p className="message-text">{m.content}</p> : <Reply message={m} usageHref={usageHref} onRetry={onRetry} />}
            {m.role === "user" && onEdit && (
              <div className="message-actions">
                <button type="button" className="button small ghost copy-button" onClick={() => onEdit(m.content)}>
                  Edit and ask again
                </button>
              </div>
            )}
            {m.role === "assistant" && m.state !== "streaming" && (
              <div className="message-actions">
                {m.content && <CopyButton label="Copy reply" text={() => m.content} />}
                {m === last && m.state !== "failed" && onRegenerate && (
                  <button type="button" className="button small ghost copy-button" onClick={() => onRegenerate(m.key)}>
                    Regenerate
                  </button>
                )}
                <Figures message={m} />
              </div>
            )}
          </li>
        ))}
      </ol>
      <p className="sr-only" role="status">
        {streaming ? "The assistant is replying…" : last?.state === "done" && last.role === "assistant" ? "Reply complete." : ""}
      </p>
    </div>
  );
}

interface ReplyProps {
  message: UiMessage;
  usageHref: string;
  onRetry: (key: string) => void;
}

// Quotes longer than this start collapsed: the chip shows the file, a click shows the quote.
const LONG_QUOTE = 160;

function Reply({ message, usageHref, onRetry }: ReplyProps) {
  const sources = useMemo(() => sourcesOf(message.citations), [message.citations]);
  const sourceId = useCallback((n: number) => `source-${message.key}-${n}`, [message.key]);
  return (
    <div className="message-body">
      {message.content ? (
        <Markdown text={message.content} sources={sources} sourceId={sourceId} />
      ) : (
        message.state === "streaming" && <span className="typing" aria-label="Waiting for the reply" />
      )}
      {sources.length > 0 && (
        <div className="citations">
          <span className="citations-title" id={`${sourceId(0)}-title`}>
            Sources
          </span>
          <ol className="source-chips" aria-labelledby={`${sourceId(0)}-title`}>
            {sources.map((s) => (
              <li key={s.n} id={sourceId(s.n)} tabIndex={-1}>
                {s.quote ? (
                  <details open={s.quote.length <= LONG_QUOTE}>
                    <summary>
                      <span className="source-n">[{s.n}]</span> <span className="citation-file">{s.filename}</span>
                    </summary>
                    <q>{s.quote}</q>
                  </details>
                ) : (
                  <span className="source-chip">
                    <span className="source-n">[{s.n}]</span> <span className="citation-file">{s.filename}</span>
                  </span>
                )}
              </li>
            ))}
          </ol>
        </div>
      )}
      {message.state === "stopped" && <p className="note">Stopped.</p>}
      {message.state === "incomplete" && <p className="note">This reply was interrupted before it finished.</p>}
      {message.state === "failed" && (
        <Alert onRetry={() => onRetry(message.key)}>
          {message.error}
          {message.errorStatus === 429 && (
            <>
              {" "}
              <a href={usageHref}>See usage and budgets</a>
            </>
          )}
        </Alert>
      )}
    </div>
  );
}

/**
 * A reply's release (draft or release N), tokens and latency in small print, once known, and what was left of its
 * budget before it.
 */
function Figures({ message }: { message: UiMessage }) {
  const text = replyFigures(message);
  const release = releaseLabel(message);
  if (!text && !message.budgetLeft && !release) return null;
  return (
    <p className="message-figures">
      {release && (
        <span className="release-tag" title="The state of the bot that wrote this reply">
          {release}
        </span>
      )}
      {release && text && " · "}
      {text}
      {text && message.budgetLeft && " · "}
      {message.budgetLeft && `before this reply: ${message.budgetLeft}`}
    </p>
  );
}
