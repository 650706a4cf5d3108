import { useState, type FormEvent } from "react";
import type { Project } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { api, errorMessage, unwrap } from "../../lib/api";
import type { ImportResult } from "../../lib/bundles";
import { ImportProject } from "./ImportProject";

interface ProjectListProps {
  projects: Project[] | undefined;
  selectedId: number | undefined;
  onSelect: (id: number) => void;
  onCreated: (project: Project) => void;
  onImported: (result: ImportResult) => void;
}

/** The caller's projects, the form that creates one, and import (a bundle file or a template). */
export function ProjectList({ projects, selectedId, onSelect, onCreated, onImported }: ProjectListProps) {
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const project = await unwrap(api.client.POST("/projects", { body: { name: name.trim() } }));
      setName("");
      onCreated(project);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  return (
    <div className="project-list">
      <h2>Projects</h2>
      <form className="inline-form" onSubmit={create}>
        <label htmlFor="new-project" className="sr-only">
          New project name
        </label>
        <input
          id="new-project"
          placeholder="New project name"
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          Create
        </button>
      </form>
      {error && <Alert>{error}</Alert>}
      <ImportProject onImported={onImported} />
      {projects && projects.length > 0 && (
        <ul className="nav-list">
          {projects.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className="nav-item"
                aria-current={p.id === selectedId ? "true" : undefined}
                onClick={() => onSelect(p.id)}
              >
                <span className="nav-item-title">{p.name}</span>
                <span className="nav-item-meta">{p.model}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
