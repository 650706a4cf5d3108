import { useState } from "react";
import type { Conversation } from "@chatbot-platform/sdk";
import { formatDateTime } from "../../lib/format";
import { endUserLabel } from "../../lib/keys";

interface ConversationListProps {
  conversations: Conversation[] | undefined;
  selectedId: number | undefined;
  onOpen: (id: number) => void;
  onDelete: (conversation: Conversation) => void;
  /** Saves a new title; resolves once saved (the form then closes), rejects to keep it open. */
  onRename: (conversation: Conversation, title: string) => Promise<void>;
  /** Shown when the list is empty, e.g. when filters match nothing. */
  emptyText?: string;
}

/** The small print of a conversation started through a key: "via <key> · <end user>". */
function conversationSource(c: Conversation): { text: string; title: string } | undefined {
  const via = c.key_name ? `via ${c.key_name}` : "";
  const parts = [via, c.end_user ? endUserLabel(c.end_user) : ""].filter(Boolean);
  if (parts.length === 0) return undefined;
  return { text: parts.join(" · "), title: [via, c.end_user ?? ""].filter(Boolean).join(" · ") };
}

/**
 * A project's conversations, most recent first, each with rename and delete buttons; those started through a key
 * name the key and the end user in small print.
 */
export function ConversationList({
  conversations,
  selectedId,
  onOpen,
  onDelete,
  onRename,
  emptyText = "No conversations yet.",
}: ConversationListProps) {
  const [renaming, setRenaming] = useState<{ id: number; title: string }>();
  if (!conversations) return <p className="muted small">Loading…</p>;
  if (conversations.length === 0) return <p className="muted small">{emptyText}</p>;
  return (
    <ul className="conversation-list">
      {conversations.map((c) => {
        const title = c.title || "Untitled conversation";
        const source = conversationSource(c);
        if (renaming?.id === c.id) {
          return (
            <li key={c.id}>
              <form
                className="rename-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  onRename(c, renaming.title.trim()).then(
                    () => setRenaming(undefined),
                    () => {},
                  );
                }}
              >
                <label htmlFor={`rename-${c.id}`} className="sr-only">
                  New title for {title}
                </label>
                <input
                  id={`rename-${c.id}`}
                  autoFocus
                  required
                  maxLength={100}
                  value={renaming.title}
                  onChange={(e) => setRenaming({ id: c.id, title: e.target.value })}
                  onKeyDown={(e) => e.key === "Escape" && setRenaming(undefined)}
                />
                <button type="submit" className="button small primary" disabled={!renaming.title.trim()}>
                  Save
                </button>
                <button type="button" className="button small ghost" onClick={() => setRenaming(undefined)}>
                  Cancel
                </button>
              </form>
            </li>
          );
        }
        return (
          <li key={c.id}>
            <button
              type="button"
              className="nav-item"
              aria-current={c.id === selectedId ? "true" : undefined}
              onClick={() => onOpen(c.id)}
            >
              <span className="nav-item-title">{title}</span>
              <span className="nav-item-meta">{formatDateTime(c.updated_at)}</span>
              {source && (
                <span className="nav-item-meta conversation-source" title={source.title}>
                  {source.text}
                </span>
              )}
            </button>
            <button
              type="button"
              className="button small icon ghost"
              aria-label={`Rename conversation: ${title}`}
              title="Rename conversation"
              onClick={() => setRenaming({ id: c.id, title: c.title })}
            >
              ✎
            </button>
            <button
              type="button"
              className="button small icon ghost"
              aria-label={`Delete conversation: ${title}`}
              title="Delete conversation"
              onClick={() => onDelete(c)}
            >
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}
