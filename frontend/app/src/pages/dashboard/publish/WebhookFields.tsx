import type { WebhookEventType } from "@chatbot-platform/sdk";
import { EVENT_HINTS, EVENT_TYPES, LIMITS, sortEvents, type WebhookDraft } from "../../../lib/webhooks";

interface WebhookFieldsProps {
  /** Makes the ids unique when several forms are on the page. */
  idPrefix: string;
  draft: WebhookDraft;
  onChange: (change: Partial<WebhookDraft>) => void;
}

/** The fields of a webhook shared by the create and edit forms: its URL, the events it receives, a description. */
export function WebhookFields({ idPrefix, draft, onChange }: WebhookFieldsProps) {
  const id = (name: string) => `${idPrefix}-${name}`;

  function toggle(event: WebhookEventType, on: boolean) {
    onChange({ events: sortEvents(on ? [...draft.events, event] : draft.events.filter((e) => e !== event)) });
  }

  return (
    <>
      <div className="field">
        <label htmlFor={id("url")}>Endpoint URL</label>
        <input
          id={id("url")}
          type="url"
          inputMode="url"
          required
          spellCheck={false}
          autoCapitalize="off"
          maxLength={LIMITS.url}
          placeholder="https://example.com/hooks/chatbot"
          aria-describedby={id("url-hint")}
          value={draft.url}
          onChange={(e) => onChange({ url: e.target.value })}
        />
        <span className="hint" id={id("url-hint")}>
          Events are POSTed here as JSON. Addresses on loopback, private or link-local networks are refused, unless
          this server&apos;s operator allows them.
        </span>
      </div>

      <fieldset className="checkbox-group" aria-describedby={id("events-hint")}>
        <legend>Events</legend>
        <span className="hint" id={id("events-hint")}>
          Sent today: conversation.created, message.completed, file.indexed, file.failed and release.published. The
          others can be chosen now and are sent once their features exist.
        </span>
        {EVENT_TYPES.map((event) => (
          <label key={event} className="check">
            <input
              type="checkbox"
              name={id("event")}
              value={event}
              checked={draft.events.includes(event)}
              onChange={(e) => toggle(event, e.target.checked)}
            />
            <span>
              <span className="check-name">{event}</span> <span className="hint">{EVENT_HINTS[event]}</span>
            </span>
          </label>
        ))}
      </fieldset>

      <div className="field">
        <label htmlFor={id("description")}>Description</label>
        <input
          id={id("description")}
          maxLength={LIMITS.description}
          placeholder="e.g. CRM sync (optional)"
          value={draft.description}
          onChange={(e) => onChange({ description: e.target.value })}
        />
      </div>
    </>
  );
}
