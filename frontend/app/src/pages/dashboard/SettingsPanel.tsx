import { useEffect, useState, type FormEvent } from "react";
import type { AllowedModels, Project, ProjectUpdate } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { api, errorMessage, unwrap } from "../../lib/api";

// The most the API accepts whatever the operator allows; GET /models narrows it.
const MAX_TOKENS = 128000;

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
  // What the operator allows (OPENAI_MODELS, OPENAI_MAX_OUTPUT_TOKENS_CAP): the picker offers only these.
  const [allowed, setAllowed] = useState<AllowedModels>();
  useEffect(() => {
    const ctrl = new AbortController();
    unwrap(api.client.GET("/models", { signal: ctrl.signal }))
      .then(setAllowed)
      .catch((err) => {
        if (!ctrl.signal.aborted) setError(errorMessage(err));
      });
    return () => ctrl.abort();
  }, []);
  const models = allowed?.models ?? [project.model];
  const maxTokensCap = allowed?.max_output_tokens ?? MAX_TOKENS;

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
          <select id="settings-model" required value={model} onChange={(e) => setModel(e.target.value)}>
            {!models.includes(project.model) && (
              <option value={project.model} disabled>
                {project.model} (no longer offered)
              </option>
            )}
            {models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
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
            max={maxTokensCap}
            step={1}
            required
            value={maxTokens}
            onChange={(e) => setMaxTokens(e.target.value)}
          />
          <span className="hint">16 to {maxTokensCap.toLocaleString("en-US")}.</span>
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
