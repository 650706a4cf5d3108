import type { Conversation } from "@chatbot-platform/sdk";
import { formatDateTime } from "../../lib/format";

interface ConversationListProps {
  conversations: Conversation[] | undefined;
  selectedId: number | undefined;
  onOpen: (id: number) => void;
  onDelete: (conversation: Conversation) => void;
}

/** A project's conversations, most recent first, each with a delete button. */
export function ConversationList({ conversations, selectedId, onOpen, onDelete }: ConversationListProps) {
  if (!conversations) return <p className="muted small">Loading…</p>;
  if (conversations.length === 0) return <p className="muted small">No conversations yet.</p>;
  return (
    <ul className="conversation-list">
      {conversations.map((c) => {
        const title = c.title || "Untitled conversation";
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
