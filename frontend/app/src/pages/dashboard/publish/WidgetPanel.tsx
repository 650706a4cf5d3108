import { useEffect, useState } from "react";
import type { ApiKey } from "@chatbot-platform/sdk";
import { CopyField } from "../../../components/CopyField";
import { WIDGET_ATTRIBUTES, widgetSnippet } from "../../../lib/keys";

interface WidgetPanelProps {
  /** The project's publishable keys. */
  keys: ApiKey[];
  /** A publishable key created in this page and not dismissed yet: the only time its full value is known. */
  fresh: { keyId: number; key: string } | undefined;
  dashboardOrigin: string;
  projectName: string;
  busy: boolean;
  onAllowDashboard: (key: ApiKey) => void;
}

const PREVIEW_ATTR = "data-chatbot-preview";

/**
 * Adds the widget's own tag to this page, exactly as a site would (same origin, so the dashboard's CSP
 * `script-src 'self'` allows it). Built with DOM properties, never markup.
 */
function loadPreview(origin: string, key: string, title: string): void {
  const script = document.createElement("script");
  script.src = `${origin}/widget.js`;
  script.async = true;
  script.dataset.key = key;
  script.dataset.title = title;
  script.setAttribute(PREVIEW_ATTR, "");
  document.body.append(script);
}

const previewLoaded = () => document.querySelector(`script[${PREVIEW_ATTR}]`) !== null;

/** The tag to embed the chat widget with a publishable key, its options, and a live preview in this page. */
export function WidgetPanel({ keys, fresh, dashboardOrigin, projectName, busy, onAllowDashboard }: WidgetPanelProps) {
  const [selectedId, setSelectedId] = useState<number | undefined>(fresh?.keyId);
  const [loaded, setLoaded] = useState(previewLoaded);

  // A key just created is the one to show.
  useEffect(() => {
    if (fresh) setSelectedId(fresh.keyId);
  }, [fresh]);

  if (keys.length === 0) {
    return <p className="muted">Create a publishable key to embed the chat widget on your website.</p>;
  }

  const key = keys.find((k) => k.id === selectedId) ?? keys[keys.length - 1]!;
  const fullKey = fresh?.keyId === key.id ? fresh.key : undefined;
  const snippet = widgetSnippet(dashboardOrigin, fullKey ?? `${key.prefix}…`);
  const dashboardAllowed = key.allowed_origins.includes(dashboardOrigin);

  return (
    <div className="stack">
      {keys.length > 1 && (
        <div className="field">
          <label htmlFor="widget-key">Publishable key</label>
          <select id="widget-key" value={key.id} onChange={(e) => setSelectedId(Number(e.target.value))}>
            {keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.prefix}…)
              </option>
            ))}
          </select>
        </div>
      )}
      <div>
        <CopyField label="Widget tag" value={snippet} />
        <p className="hint">
          {fullKey
            ? "Paste it before </body> on every page of your site that should show the chat. It contains the full key, shown only now."
            : `The full key was shown only when it was created: put it in place of ${key.prefix}…. Lost it? Create a new publishable key and revoke this one.`}
        </p>
      </div>
      <details className="help">
        <summary>Optional attributes</summary>
        <dl className="attribute-list">
          {WIDGET_ATTRIBUTES.map((a) => (
            <div key={a.name}>
              <dt>
                <code>{a.name}</code>
              </dt>
              <dd>{a.meaning}</dd>
            </div>
          ))}
        </dl>
      </details>

      <div className="preview-box">
        <h3>Preview</h3>
        <p className="small">
          Loads the widget into this page with the new key. It works only when this dashboard&apos;s origin,{" "}
          <code>{dashboardOrigin}</code>, is among the key&apos;s allowed origins
          {dashboardAllowed ? " (it is)." : ": it is not yet."}
        </p>
        {!dashboardAllowed && (
          <div className="row">
            <button type="button" className="button" disabled={busy} onClick={() => onAllowDashboard(key)}>
              Allow this dashboard
            </button>
            <span className="hint">Adds {dashboardOrigin} to the key&apos;s allowed origins.</span>
          </div>
        )}
        <div className="row">
          <button
            type="button"
            className="button primary"
            disabled={!fullKey || !dashboardAllowed || loaded}
            onClick={() => {
              if (!fullKey || previewLoaded()) return;
              loadPreview(dashboardOrigin, fullKey, projectName);
              setLoaded(true);
            }}
          >
            {loaded ? "Preview loaded" : "Preview"}
          </button>
          <span className="hint">
            {loaded
              ? "The widget is on this page (bottom corner). Reload the page to remove it."
              : fullKey
                ? dashboardAllowed
                  ? "Opens the widget on this page."
                  : "Allow this dashboard first."
                : "Available right after creating a publishable key, while its full key is still shown."}
          </span>
        </div>
      </div>
    </div>
  );
}
