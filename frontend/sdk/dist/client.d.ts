import { type Client } from "openapi-fetch";
import type { paths } from "./schema.js";
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
/**
 * Creates a client. Every request carries `Authorization: Bearer <getToken()>` when there is a token; with
 * `getCsrfToken` (a cookie session), unsafe requests carry `X-CSRF-Token`.
 */
export declare function createApi(options?: ApiOptions): Api;
/**
 * Awaits an openapi-fetch call and returns its data, or throws ApiError with the server's `detail`.
 * `const projects = await unwrap(api.client.GET("/projects"))`.
 */
export declare function unwrap<T>(call: Promise<{
    data?: T;
    error?: unknown;
    response: Response;
}>): Promise<T>;
