import { useCallback, useEffect, useId, useState } from "react";
import type { Webhook, WebhookDelivery } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { api, errorMessage, unwrap } from "../../../lib/api";
import { formatDateTime } from "../../../lib/format";
import { deliveryRowView, webhookName } from "../../../lib/webhooks";

const COLUMNS = ["Time", "Event", "Status", "Attempts", "Response", "Latency", "Error", "Actions"];

/**
 * A webhook's 100 most recent deliveries, newest first, fetched when shown and on Refresh; each can be sent
 * again (same event id and payload, a fresh signature).
 */
export function DeliveryLog({ hook }: { hook: Webhook }) {
  const [deliveries, setDeliveries] = useState<WebhookDelivery[]>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState("");
  const [busyId, setBusyId] = useState<number>();
  const titleId = useId();
  const path = { project_id: hook.project_id, webhook_id: hook.id };

  const load = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    try {
      const params = { path: { project_id: hook.project_id, webhook_id: hook.id } };
      setDeliveries(await unwrap(api.client.GET("/projects/{project_id}/webhooks/{webhook_id}/deliveries", { params })));
    } catch (err) {
      setError(errorMessage(err));
    }
    setLoading(false);
  }, [hook.project_id, hook.id]);

  useEffect(() => {
    void load();
  }, [load]);

  async function redeliver(d: WebhookDelivery) {
    setBusyId(d.id);
    setError(undefined);
    setNotice("");
    try {
      await unwrap(
        api.client.POST("/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {
          params: { path: { ...path, delivery_id: d.id } },
        }),
      );
      setNotice(`${d.event_type} (${d.event_id}) is queued to be sent again.`);
      await load();
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusyId(undefined);
  }

  return (
    <section className="delivery-log" aria-labelledby={titleId}>
      <div className="delivery-log-head">
        <h3 id={titleId}>
          Delivery log <span className="sr-only">of {webhookName(hook)}</span>
        </h3>
        <button
          type="button"
          className="button small"
          aria-label={`Refresh the delivery log of ${webhookName(hook)}`}
          disabled={loading}
          aria-busy={loading || undefined}
          onClick={() => void load()}
        >
          Refresh
        </button>
      </div>
      <p className="hint">The 100 most recent deliveries, newest first. Failed ones are retried for 24 hours.</p>
      {error && <Alert>{error}</Alert>}
      <p className="small delivery-notice" role="status">
        {notice}
      </p>
      {deliveries === undefined && !error && <p className="muted">Loading deliveries…</p>}
      {deliveries?.length === 0 && <p className="muted">No deliveries yet.</p>}
      {deliveries && deliveries.length > 0 && (
        <div className="table-scroll">
          <table className="keys-table deliveries-table">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th key={c} scope="col">
                    {c === "Actions" ? <span className="sr-only">{c}</span> : c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => {
                const view = deliveryRowView(d);
                return (
                  <tr key={d.id} className="key-row delivery-row" data-delivery-id={d.id}>
                    <td data-label="Time" title={`Last attempt: ${view.lastAttempt}`}>
                      {view.time}
                    </td>
                    <td data-label="Event">
                      <code>{d.event_type}</code>
                    </td>
                    <td data-label="Status">
                      <span className={`badge ${view.statusClass}`}>{view.status}</span>
                    </td>
                    <td data-label="Attempts">{view.attempts}</td>
                    <td data-label="Response">{view.response}</td>
                    <td data-label="Latency">{view.latency}</td>
                    <td data-label="Error" className={d.error ? "delivery-error" : undefined}>
                      {view.error}
                    </td>
                    <td className="key-actions">
                      <button
                        type="button"
                        className="button small"
                        aria-label={`Redeliver ${d.event_type} of ${formatDateTime(d.created_at)}`}
                        disabled={busyId !== undefined}
                        onClick={() => void redeliver(d)}
                      >
                        Redeliver
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
