import { useState, type FormEvent } from "react";
import type { Project, ProjectUpdate } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { api, errorMessage, unwrap } from "../../lib/api";

// Suggestions only: the server accepts any model name its OpenAI account can use.
const MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "gpt-4.1-nano"];

interface SettingsPanelProps {
  project: Project;
  onSaved: (project: Project) => void;
}

/** Model, temperature and reply length of a project, saved with PATCH (only the fields that changed). */
export function SettingsPanel({ project, onSaved }: SettingsPanelProps) {
  const [model, setModel] = useState(project.model);
  const [temperature, setTemperature] = useState(project.temperature);
  const [maxTokens, setMaxTokens] = useState(String(project.max_output_tokens));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);

  const changes: ProjectUpdate = {};
  if (model.trim() !== project.model) changes.model = model.trim();
  if (Math.abs(temperature - project.temperature) > 1e-6) changes.temperature = temperature;
  if (Number(maxTokens) !== project.max_output_tokens) changes.max_output_tokens = Number(maxTokens);
  const dirty = Object.keys(changes).length > 0;

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      const path = { project_id: project.id };
      const updated = await unwrap(api.client.PATCH("/projects/{project_id}", { params: { path }, body: changes }));
      onSaved(updated);
      setSaved(true);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  return (
    <section className="card" aria-labelledby="settings-title">
      <h2 id="settings-title">Chat settings</h2>
      <form className="stack" onSubmit={save} onChange={() => setSaved(false)}>
        <div className="field">
          <label htmlFor="settings-model">Model</label>
          <input
            id="settings-model"
            list="settings-models"
            required
            maxLength={100}
            value={model}
            onChange={(e) => setModel(e.target.value)}
          />
          <datalist id="settings-models">
            {MODELS.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="settings-temperature">
            Temperature <output htmlFor="settings-temperature">{temperature.toFixed(1)}</output>
          </label>
          <input
            id="settings-temperature"
            type="range"
            min={0}
            max={2}
            step={0.1}
            value={temperature}
            onChange={(e) => setTemperature(Number(e.target.value))}
          />
          <span className="hint">Lower is more focused, higher more varied.</span>
        </div>
        <div className="field">
          <label htmlFor="settings-max-tokens">Max output tokens</label>
          <input
            id="settings-max-tokens"
            type="number"
            inputMode="numeric"
            min={16}
            max={128000}
            step={1}
            required
            value={maxTokens}
            onChange={(e) => setMaxTokens(e.target.value)}
          />
          <span className="hint">16 to 128,000.</span>
        </div>
        {error && <Alert>{error}</Alert>}
        {saved && !dirty && <Alert kind="success">Settings saved.</Alert>}
        <div className="row">
          <button type="submit" className="button primary" disabled={busy || !dirty}>
            {busy ? "Saving…" : "Save settings"}
          </button>
        </div>
      </form>
    </section>
  );
}
