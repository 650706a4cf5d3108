import { useEffect, useState } from "react";
import type { Project } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { AppHeader } from "../../components/AppHeader";
import { api, errorMessage, unwrap } from "../../lib/api";
import { readIdParam, writeParams } from "../../lib/url";
import { FirstChatbot } from "./FirstChatbot";
import { ProjectDetail } from "./ProjectDetail";
import { ProjectList } from "./ProjectList";

/** The dashboard: the project list beside the selected project's prompts, settings and files. */
export function Dashboard() {
  const [projects, setProjects] = useState<Project[]>();
  const [selectedId, setSelectedId] = useState<number | undefined>(() => readIdParam("project"));
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  // The files an import could not bring (their contents live at OpenAI), shown on the new project until dismissed.
  const [missingFiles, setMissingFiles] = useState<{ projectId: number; files: string[] }>();

  useEffect(() => {
    setError(undefined);
    unwrap(api.client.GET("/projects"))
      .then(setProjects)
      .catch((err) => setError(errorMessage(err)));
  }, [attempt]);

  const selected = projects?.find((p) => p.id === selectedId) ?? projects?.[0];

  useEffect(() => {
    writeParams({ project: selected?.id });
  }, [selected?.id]);

  function replace(project: Project) {
    setProjects((list) => list?.map((p) => (p.id === project.id ? project : p)));
  }

  return (
    <>
      <AppHeader current="dashboard" chatHref={selected ? `/chat?project=${selected.id}` : "/chat"} />
      <main className="dashboard" id="main">
        <aside className="sidebar" aria-label="Projects">
          <ProjectList
            projects={projects}
            selectedId={selected?.id}
            onSelect={setSelectedId}
            onCreated={(project) => {
              setProjects((list) => [...(list ?? []), project]);
              setSelectedId(project.id);
            }}
            onImported={({ project, missing_files }) => {
              setProjects((list) => [...(list ?? []), project]);
              setSelectedId(project.id);
              setMissingFiles({ projectId: project.id, files: missing_files });
            }}
          />
        </aside>
        <section className="content">
          {error && <Alert onRetry={() => setAttempt((n) => n + 1)}>{error}</Alert>}
          {!projects && !error && <p className="muted">Loading projects…</p>}
          {projects?.length === 0 && (
            <FirstChatbot
              onCreated={(project) => {
                setProjects((list) => [...(list ?? []), project]);
                setSelectedId(project.id);
              }}
            />
          )}
          {selected && (
            <ProjectDetail
              key={selected.id}
              project={selected}
              missingFiles={missingFiles?.projectId === selected.id ? missingFiles.files : undefined}
              onDismissMissingFiles={() => setMissingFiles(undefined)}
              onUpdated={replace}
              onDeleted={(id) => {
                setProjects((list) => list?.filter((p) => p.id !== id));
                setSelectedId(undefined);
              }}
            />
          )}
        </section>
      </main>
    </>
  );
}
