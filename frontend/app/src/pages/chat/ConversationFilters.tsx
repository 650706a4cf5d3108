import { useEffect, useState } from "react";
import type { ApiKey } from "@chatbot-platform/sdk";
import { api, unwrap } from "../../lib/api";

/** The listConversations filters: conversations started through one key, and/or with one end user. */
export interface Filters {
  keyId?: number;
  user: string;
}

export const NO_FILTERS: Filters = { user: "" };

/** The query parameters of GET /projects/{id}/conversations for these filters (none when empty). */
export function filterQuery(filters: Filters): { key_id?: number; user?: string } {
  const user = filters.user.trim();
  return { ...(filters.keyId ? { key_id: filters.keyId } : {}), ...(user ? { user } : {}) };
}

const TYPING_PAUSE_MS = 300;

interface ConversationFiltersProps {
  projectId: number;
  filters: Filters;
  onChange: (filters: Filters) => void;
  /** Some listed conversation came through a key: filters are worth showing even when no key is live. */
  keyedConversations: boolean;
}

/**
 * Filters of the conversation list (give it `key={projectId}`: the typed text belongs to one project): a key of the project (from its live keys) and an end user. Hidden for a
 * project that was never published (no keys, no conversation through one), where they could only be noise.
 */
export function ConversationFilters({ projectId, filters, onChange, keyedConversations }: ConversationFiltersProps) {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [user, setUser] = useState(filters.user);

  useEffect(() => {
    let cancelled = false;
    setKeys([]);
    // Without keys there is nothing to filter by key; a failure only leaves the select with "All keys".
    unwrap(api.client.GET("/projects/{project_id}/keys", { params: { path: { project_id: projectId } } }))
      .then((list) => !cancelled && setKeys(list))
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [projectId]);

  // Filter once typing pauses, not at every keystroke.
  useEffect(() => {
    if (user === filters.user) return;
    const timer = window.setTimeout(() => onChange({ ...filters, user }), TYPING_PAUSE_MS);
    return () => window.clearTimeout(timer);
  }, [user, filters, onChange]);

  const active = filters.keyId !== undefined || filters.user !== "" || user !== "";
  if (keys.length === 0 && !keyedConversations && !active) return null;

  return (
    <div className="conversation-filters" role="search" aria-label="Filter conversations">
      <div className="field">
        <label htmlFor="key-filter">Key</label>
        <select
          id="key-filter"
          value={filters.keyId ?? ""}
          onChange={(e) => onChange({ ...filters, keyId: e.target.value ? Number(e.target.value) : undefined })}
        >
          <option value="">All keys</option>
          {keys.map((k) => (
            <option key={k.id} value={k.id}>
              {k.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="user-filter">End user</label>
        <input
          id="user-filter"
          type="search"
          maxLength={256}
          placeholder="user id"
          autoComplete="off"
          spellCheck={false}
          value={user}
          onChange={(e) => setUser(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") onChange({ ...filters, user });
          }}
        />
      </div>
    </div>
  );
}
