import createClient, { type Client } from "openapi-fetch";
import { ApiError } from "./errors.js";
import type { paths } from "./schema.js";
import { readChatEvents } from "./stream.js";
import type { ChatRequest, ChatStreamEvent, ProjectFile, UploadProgress } from "./types.js";

/** How a client reaches the API and authenticates. */
export interface ApiOptions {
  /** Origin (and path prefix) of the API, e.g. "https://chat.example.com"; "" (the default) is the page's own. */
  baseUrl?: string;
  /** Returns the bearer token to send, or null/undefined to send none. Asked before every request. */
  getToken?: () => string | null | undefined;
  /**
   * For a browser page signed in with the session cookie (`POST /users/session`) instead of a token: returns
   * the `csrf_token` cookie, sent as `X-CSRF-Token` on unsafe requests. The cookie itself goes by the browser.
   */
  getCsrfToken?: () => string | null | undefined;
  /** Called when a request that carried a token (or the session cookie) is answered 401: the session is over. */
  onUnauthorized?: () => void;
  /** Replaces the global fetch (tests, Node without one). */
  fetch?: (request: Request) => Promise<Response>;
  /** Replaces the global XMLHttpRequest used by uploadFile (tests). */
  createXhr?: () => XMLHttpRequest;
}

/** Options of Api.chatStream. */
export interface ChatStreamOptions {
  /** Aborting stops the request or the stream; the iteration then throws an AbortError. */
  signal?: AbortSignal;
  /**
   * Called with the response headers once the stream is accepted, before the first event: e.g.
   * `X-Budget-Remaining`, what was left of the tightest budget before this call.
   */
  onHeaders?: (headers: Headers) => void;
}

/** Options of Api.uploadFile. */
export interface UploadOptions {
  /** The name sent for the file; defaults to the File's own name. */
  filename?: string;
  /** Called as the request body is sent. */
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

/** A typed client for the whole API. */
export interface Api {
  /** The openapi-fetch client: `client.GET("/projects")`, `client.POST("/projects", { body })`, … */
  client: Client<paths>;
  /**
   * `POST /chat/stream`: yields the reply's events as they arrive and ends after `done` or `error`.
   * Throws ApiError when the server answers an error before the stream starts (its JSON `detail`).
   */
  chatStream(body: ChatRequest, options?: ChatStreamOptions): AsyncGenerator<ChatStreamEvent>;
  /**
   * `POST /projects/{project_id}/files` as multipart, over XMLHttpRequest because fetch cannot report upload
   * progress. Resolves with the stored file; rejects with ApiError for an error answer, an AbortError when aborted.
   */
  uploadFile(projectId: number, file: Blob, options?: UploadOptions): Promise<ProjectFile>;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Creates a client. Every request carries `Authorization: Bearer <getToken()>` when there is a token; with
 * `getCsrfToken` (a cookie session), unsafe requests carry `X-CSRF-Token`.
 */
export function createApi(options: ApiOptions = {}): Api {
  const baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));

  /** The credential headers of a request (the token, or a cookie session's CSRF header), and whether it has any. */
  function credentials(method: string): { headers: Record<string, string>; signedIn: boolean } {
    const headers: Record<string, string> = {};
    const token = options.getToken?.();
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const csrf = options.getCsrfToken?.();
    if (csrf && !SAFE_METHODS.has(method)) headers["X-CSRF-Token"] = csrf;
    return { headers, signedIn: Boolean(token) || Boolean(csrf) };
  }

  function authorize(headers: Headers, method: string): boolean {
    const { headers: add, signedIn } = credentials(method);
    for (const [name, value] of Object.entries(add)) headers.set(name, value);
    return signedIn;
  }

  const client = createClient<paths>({ baseUrl, fetch: doFetch });
  const authorized = new WeakSet<Request>();
  client.use({
    onRequest({ request }) {
      if (authorize(request.headers, request.method)) authorized.add(request);
      return request;
    },
    onResponse({ request, response }) {
      if (response.status === 401 && (authorized.has(request) || request.headers.has("Authorization"))) options.onUnauthorized?.();
      return response;
    },
  });

  async function* chatStream(body: ChatRequest, streamOptions: ChatStreamOptions = {}): AsyncGenerator<ChatStreamEvent> {
    const headers = new Headers({ "Content-Type": "application/json", Accept: "text/event-stream" });
    const sent = authorize(headers, "POST");
    const request = new Request(`${baseUrl}/chat/stream`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: streamOptions.signal,
    });
    const response = await doFetch(request);
    if (!response.ok) {
      if (response.status === 401 && sent) options.onUnauthorized?.();
      throw await ApiError.fromResponse(response);
    }
    const type = response.headers.get("Content-Type") ?? "";
    if (!type.startsWith("text/event-stream") || !response.body) {
      await response.body?.cancel();
      throw new ApiError(response.status, `Expected an event stream, got "${type || "no content type"}".`);
    }
    streamOptions.onHeaders?.(response.headers);
    yield* readChatEvents(response.body);
  }

  function uploadFile(projectId: number, file: Blob, uploadOptions: UploadOptions = {}): Promise<ProjectFile> {
    const { signal, onProgress } = uploadOptions;
    return new Promise<ProjectFile>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new DOMException("The upload was aborted.", "AbortError"));
        return;
      }
      const xhr = options.createXhr?.() ?? new XMLHttpRequest();
      xhr.open("POST", `${baseUrl}/projects/${encodeURIComponent(String(projectId))}/files`);
      const { headers, signedIn: sent } = credentials("POST");
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader("Accept", "application/json");
      const onAbortSignal = () => xhr.abort();
      signal?.addEventListener("abort", onAbortSignal, { once: true });
      const settle = () => signal?.removeEventListener("abort", onAbortSignal);

      xhr.upload.addEventListener("progress", (e) => {
        onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
      });
      xhr.addEventListener("load", () => {
        settle();
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText) as ProjectFile);
          } catch {
            reject(new ApiError(xhr.status, "The server's answer to the upload was not JSON."));
          }
          return;
        }
        if (xhr.status === 401 && sent) options.onUnauthorized?.();
        reject(ApiError.fromText(xhr.status, xhr.responseText, xhr.statusText));
      });
      xhr.addEventListener("error", () => {
        settle();
        reject(new TypeError("The upload failed: network error."));
      });
      xhr.addEventListener("abort", () => {
        settle();
        reject(new DOMException("The upload was aborted.", "AbortError"));
      });

      const form = new FormData();
      const name = uploadOptions.filename ?? (file instanceof File ? file.name : "upload");
      form.append("file", file, name);
      xhr.send(form);
    });
  }

  return { client, chatStream, uploadFile };
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws ApiError with the server's `detail`.
 * `const projects = await unwrap(api.client.GET("/projects"))`.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw ApiError.fromBody(response.status, error, response.statusText);
  return data as T;
}
