import { Fragment } from "react";
import type { Webhook } from "@chatbot-platform/sdk";
import { formatDate, formatDateTime } from "../../../lib/format";
import { webhookName, webhookStatus } from "../../../lib/webhooks";
import { DeliveryLog } from "./DeliveryLog";
import { WebhookEditForm } from "./WebhookEditForm";

interface WebhooksTableProps {
  hooks: Webhook[];
  editingId: number | undefined;
  /** The webhooks whose delivery log is open. */
  logsOpen: ReadonlySet<number>;
  disabled: boolean;
  onEdit: (id: number | undefined) => void;
  onSaved: (hook: Webhook) => void;
  onToggleLog: (id: number) => void;
  onSetEnabled: (hook: Webhook, enabled: boolean) => void;
  onRotate: (hook: Webhook) => void;
  onDelete: (hook: Webhook) => void;
}

const COLUMNS = ["URL", "Events", "Description", "Status", "Created"];

/**
 * A project's webhooks, never their secrets: each by URL with its events and state (why the platform turned it
 * off, prominently), its actions in a row below, and its edit form and delivery log below those when open.
 */
export function WebhooksTable({ hooks, editingId, logsOpen, disabled, onEdit, onSaved, onToggleLog, onSetEnabled, onRotate, onDelete }: WebhooksTableProps) {
  return (
    <div className="table-scroll">
      <table className="keys-table webhooks-table">
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
          {hooks.map((hook) => {
            const status = webhookStatus(hook);
            const name = webhookName(hook);
            const editing = hook.id === editingId;
            const logOpen = logsOpen.has(hook.id);
            const logId = `webhook-${hook.id}-log`;
            return (
              <Fragment key={hook.id}>
                <tr className={`key-row webhook-row${hook.enabled ? "" : " expired"}`} data-webhook-id={hook.id}>
                  <th scope="row" className="key-name webhook-url">
                    {hook.url}
                  </th>
                  <td data-label="Events">
                    <ul className="event-list">
                      {hook.events.map((e) => (
                        <li key={e}>
                          <code>{e}</code>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td data-label="Description">{hook.description || <span className="muted">—</span>}</td>
                  <td data-label="Status">
                    <div className="webhook-status">
                      <span className={`badge webhook-${status.tone}`}>{status.label}</span>
                      {status.reason && <span className="webhook-reason">{status.reason}</span>}
                      {status.failing && <span className="warning-text">{status.failing}</span>}
                    </div>
                  </td>
                  <td data-label="Created" title={formatDateTime(hook.created_at)}>
                    {formatDate(hook.created_at)}
                  </td>
                </tr>
                <tr className="key-actions-row">
                  <td colSpan={COLUMNS.length} className="key-actions">
                    <button
                      type="button"
                      className="button small"
                      aria-expanded={editing}
                      aria-label={`Edit webhook ${name}`}
                      disabled={disabled}
                      onClick={() => onEdit(editing ? undefined : hook.id)}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button small"
                      aria-label={`${hook.enabled ? "Turn off" : "Turn on"} webhook ${name}`}
                      disabled={disabled}
                      onClick={() => onSetEnabled(hook, !hook.enabled)}
                    >
                      {hook.enabled ? "Turn off" : "Turn on"}
                    </button>
                    <button
                      type="button"
                      className="button small"
                      aria-label={`Rotate secret of ${name}`}
                      title="Rotate signing secret"
                      disabled={disabled}
                      onClick={() => onRotate(hook)}
                    >
                      Rotate secret
                    </button>
                    <button
                      type="button"
                      className="button small"
                      aria-expanded={logOpen}
                      aria-controls={logOpen ? logId : undefined}
                      aria-label={`Delivery log of ${name}`}
                      onClick={() => onToggleLog(hook.id)}
                    >
                      Delivery log
                    </button>
                    <button
                      type="button"
                      className="button small danger"
                      aria-label={`Delete webhook ${name}`}
                      disabled={disabled}
                      onClick={() => onDelete(hook)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
                {editing && (
                  <tr className="key-edit-row">
                    <td colSpan={COLUMNS.length}>
                      <WebhookEditForm hook={hook} onSaved={onSaved} onCancel={() => onEdit(undefined)} />
                    </td>
                  </tr>
                )}
                {logOpen && (
                  <tr className="key-edit-row" id={logId}>
                    <td colSpan={COLUMNS.length}>
                      <DeliveryLog hook={hook} />
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
