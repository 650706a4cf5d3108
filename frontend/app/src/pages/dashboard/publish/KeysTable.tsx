import { Fragment } from "react";
import type { ApiKey } from "@chatbot-platform/sdk";
import { formatDate, formatDateTime } from "../../../lib/format";
import { keyRowView } from "../../../lib/keys";
import { KeyEditForm } from "./KeyEditForm";

interface KeysTableProps {
  keys: ApiKey[];
  editingId: number | undefined;
  dashboardOrigin: string;
  disabled: boolean;
  onEdit: (id: number | undefined) => void;
  onSaved: (key: ApiKey) => void;
  onRotate: (key: ApiKey) => void;
  onRevoke: (key: ApiKey) => void;
}

const COLUMNS = ["Name", "Kind", "Prefix", "Scopes", "Allowed origins", "Rate limit", "Budgets", "Expires", "Created", "Last used"];

/** A project's keys, never their secrets: each by name and prefix, with its limits, and its actions in a row below. */
export function KeysTable({ keys, editingId, dashboardOrigin, disabled, onEdit, onSaved, onRotate, onRevoke }: KeysTableProps) {
  const now = new Date();
  return (
    <div className="table-scroll">
      <table className="keys-table">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => {
            const view = keyRowView(key, now, formatDate);
            const editing = key.id === editingId;
            return (
              <Fragment key={key.id}>
                <tr className={`key-row${view.expired ? " expired" : ""}`} data-key-id={key.id}>
                  <th scope="row" className="key-name">
                    {key.name}
                  </th>
                  <td data-label="Kind">
                    <span className={`badge kind-${key.kind}`}>{view.kind}</span>
                  </td>
                  <td data-label="Prefix">
                    <code className="key-prefix">{key.prefix}…</code>
                  </td>
                  <td data-label="Scopes">{view.scopes}</td>
                  <td data-label="Allowed origins">
                    {key.kind === "secret" ? (
                      <span className="muted">—</span>
                    ) : view.origins.length === 0 ? (
                      <span className="warning-text">none yet</span>
                    ) : (
                      <ul className="origin-list">
                        {view.origins.map((o) => (
                          <li key={o}>{o}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="Rate limit">{view.rateLimit}</td>
                  <td data-label="Budgets">
                    {view.budgets.length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      <ul className="budget-list">
                        {view.budgets.map((b) => (
                          <li key={b}>{b}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td
                    data-label="Expires"
                    className={view.expired ? "warning-text" : undefined}
                    title={key.expires_at ? formatDateTime(key.expires_at) : undefined}
                  >
                    {view.expires}
                  </td>
                  <td data-label="Created" title={formatDateTime(key.created_at)}>
                    {view.created}
                  </td>
                  <td data-label="Last used" title={key.last_used_at ? formatDateTime(key.last_used_at) : undefined}>
                    {view.lastUsed}
                  </td>
                </tr>
                <tr className="key-actions-row">
                    <td colSpan={COLUMNS.length} className="key-actions">
                      <button
                        type="button"
                        className="button small"
                        aria-expanded={editing}
                        aria-label={`Edit key ${key.name}`}
                        disabled={disabled}
                        onClick={() => onEdit(editing ? undefined : key.id)}
                      >
                        Edit
                      </button>
                      {key.kind === "publishable" && (
                        <button
                          type="button"
                          className="button small"
                          aria-label={`Rotate the identity secret of ${key.name}`}
                          title="Rotate identity secret"
                          disabled={disabled}
                          onClick={() => onRotate(key)}
                        >
                          Rotate secret
                        </button>
                      )}
                      <button
                        type="button"
                        className="button small danger"
                        aria-label={`Revoke key ${key.name}`}
                        disabled={disabled}
                        onClick={() => onRevoke(key)}
                      >
                        Revoke
                      </button>
                    </td>
                </tr>
                {editing && (
                  <tr className="key-edit-row">
                    <td colSpan={COLUMNS.length}>
                      <KeyEditForm apiKey={key} dashboardOrigin={dashboardOrigin} onSaved={onSaved} onCancel={() => onEdit(undefined)} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
