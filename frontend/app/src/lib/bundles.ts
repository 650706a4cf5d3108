import { ApiError, type components } from "@chatbot-platform/sdk";
import { api, unwrap } from "./api";
import { downloadBlob, downloadText } from "./download";

export type Bundle = components["schemas"]["Bundle"];
export type ImportResult = components["schemas"]["ImportResult"];
export type ProjectTemplate = components["schemas"]["ProjectTemplate"];

/** The file name the server gives in `Content-Disposition: attachment; filename="..."`, or fallback. */
export function attachmentName(header: string | null, fallback: string): string {
  const match = header?.match(/filename="([^"]+)"/);
  return match?.[1] ?? fallback;
}

/** Downloads the project's bundle (JSON), with its conversations when asked. */
export async function exportBundle(projectId: number, withConversations: boolean): Promise<void> {
  const { data, error, response } = await api.client.GET("/projects/{project_id}/export", {
    params: { path: { project_id: projectId }, query: withConversations ? { include: "conversations" } : {} },
    parseAs: "text",
  });
  if (!response.ok || error !== undefined) throw ApiError.fromBody(response.status, error, response.statusText);
  const name = attachmentName(response.headers.get("Content-Disposition"), `project-${projectId}.bundle.json`);
  downloadText(name, data as unknown as string, "application/json");
}

/** Downloads the project's conversations as a zip of Markdown files, one per conversation. */
export async function exportMarkdown(projectId: number): Promise<void> {
  const { data, error, response } = await api.client.GET("/projects/{project_id}/export", {
    params: { path: { project_id: projectId }, query: { format: "markdown" } },
    parseAs: "blob",
  });
  if (!response.ok || error !== undefined) throw ApiError.fromBody(response.status, error, response.statusText);
  const name = attachmentName(response.headers.get("Content-Disposition"), `project-${projectId}-conversations.zip`);
  downloadBlob(name, data as unknown as Blob);
}

/** Creates a new project from a bundle file the user picked; a file that is not JSON is refused here. */
export async function importBundleFile(file: File): Promise<ImportResult> {
  let bundle: Bundle;
  try {
    bundle = JSON.parse(await file.text()) as Bundle;
  } catch {
    throw new ApiError(400, `${file.name} is not a JSON file: pick a bundle exported from a project.`);
  }
  return unwrap(api.client.POST("/projects/import", { body: bundle }));
}

/** Creates a new project from one of the shipped templates. */
export function importTemplate(name: string): Promise<ImportResult> {
  return unwrap(api.client.POST("/projects/import", { params: { query: { template: name } } }));
}

/** The templates the server ships. */
export function listTemplates(): Promise<ProjectTemplate[]> {
  return unwrap(api.client.GET("/project-templates"));
}
