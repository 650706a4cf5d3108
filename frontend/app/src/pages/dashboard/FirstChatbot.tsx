import { useState, type FormEvent } from "react";
import type { Project } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { api, errorMessage, unwrap } from "../../lib/api";

const DEFAULT_NAME = "My first chatbot";

/** The empty dashboard: one button creates the first chatbot (named, or "My first chatbot"). */
export function FirstChatbot({ onCreated }: { onCreated: (project: Project) => void }) {
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await unwrap(api.client.POST("/projects", { body: { name: name.trim() || DEFAULT_NAME } })));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <div className="empty-state">
      <h1>No chatbots yet</h1>
      <p className="muted">
        A chatbot is a project: its prompts shape how it answers, its files give it knowledge to search. Name it now or
        later.
      </p>
      <form className="first-chatbot" onSubmit={create}>
        <div className="field">
          <label htmlFor="first-chatbot-name">Chatbot name</label>
          <input
            id="first-chatbot-name"
            placeholder={DEFAULT_NAME}
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <button type="submit" className="button primary" disabled={busy}>
          Create your first chatbot
        </button>
      </form>
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
