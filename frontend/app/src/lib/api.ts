import { ApiError, createApi, isAbortError, unwrap } from "@chatbot-platform/sdk";
import { getToken, goToSignIn } from "./session";

/** The one API client of the pages; any 401 on an authenticated call ends the session. */
export const api = createApi({
  getToken,
  onUnauthorized: () => goToSignIn("expired"),
});

export { ApiError, isAbortError, unwrap };

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
