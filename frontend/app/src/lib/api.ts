import { ApiError, createApi, isAbortError, unwrap, type UsageReport } from "@chatbot-platform/sdk";
import { getCsrfToken, goToSignIn } from "./session";

/** The one API client of the pages (signed in by the session cookie); any 401 on a signed-in call ends the session. */
export const api = createApi({
  getCsrfToken,
  onUnauthorized: () => goToSignIn("expired"),
});

export { ApiError, isAbortError, unwrap };

/** The largest page the API serves (the `limit` maximum in api/openapi.yaml): the dashboard shows the first page. */
export const PAGE_MAX = 500;

/** A sentence for a person from anything a call may throw: the server's `detail` when there is one. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (isAbortError(err)) return "Stopped.";
  if (err instanceof TypeError) return "The server could not be reached. Check your connection and try again.";
  return err instanceof Error ? err.message : String(err);
}

/** The server's per-field validation errors (`errors` of a 400), one sentence each; empty for anything else. */
export function fieldErrors(err: unknown): string[] {
  if (!(err instanceof ApiError)) return [];
  return err.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
}

type UsageQuery = { from?: string; to?: string; group_by?: "day" | "model" | "key" | "end_user" };

/**
 * GET /projects/{id}/usage as JSON. The operation answers JSON or CSV by the Accept header, so its generated
 * type is a union: this asks for JSON and checks that JSON came.
 */
export async function getUsageReport(projectId: number, query: UsageQuery): Promise<UsageReport> {
  const data = await unwrap(
    api.client.GET("/projects/{project_id}/usage", {
      params: { path: { project_id: projectId }, query },
      headers: { Accept: "application/json" },
    }),
  );
  if (typeof data !== "object" || data === null) throw new ApiError(0, "The server did not answer the usage report as JSON.");
  return data;
}

/** GET /projects/{id}/usage with `Accept: text/csv`: the report as CSV text (one row per group, then a total). */
export function getUsageCsv(projectId: number, query: UsageQuery): Promise<string> {
  return unwrap(
    api.client.GET("/projects/{project_id}/usage", {
      params: { path: { project_id: projectId }, query },
      headers: { Accept: "text/csv" },
      parseAs: "text",
    }),
  );
}
