import createClient from "openapi-fetch";
import { ApiError } from "./errors.js";
import { readChatEvents } from "./stream.js";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/**
 * Creates a client. Every request carries `Authorization: Bearer <getToken()>` when there is a token; with
 * `getCsrfToken` (a cookie session), unsafe requests carry `X-CSRF-Token`.
 */
export function createApi(options = {}) {
    const baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    const doFetch = options.fetch ?? ((request) => globalThis.fetch(request));
    /** The credential headers of a request (the token, or a cookie session's CSRF header), and whether it has any. */
    function credentials(method) {
        const headers = {};
        const token = options.getToken?.();
        if (token)
            headers["Authorization"] = `Bearer ${token}`;
        const csrf = options.getCsrfToken?.();
        if (csrf && !SAFE_METHODS.has(method))
            headers["X-CSRF-Token"] = csrf;
        return { headers, signedIn: Boolean(token) || Boolean(csrf) };
    }
    function authorize(headers, method) {
        const { headers: add, signedIn } = credentials(method);
        for (const [name, value] of Object.entries(add))
            headers.set(name, value);
        return signedIn;
    }
    const client = createClient({ baseUrl, fetch: doFetch });
    const authorized = new WeakSet();
    client.use({
        onRequest({ request }) {
            if (authorize(request.headers, request.method))
                authorized.add(request);
            return request;
        },
        onResponse({ request, response }) {
            if (response.status === 401 && (authorized.has(request) || request.headers.has("Authorization")))
                options.onUnauthorized?.();
            return response;
        },
    });
    async function* chatStream(body, streamOptions = {}) {
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
            if (response.status === 401 && sent)
                options.onUnauthorized?.();
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
    function uploadFile(projectId, file, uploadOptions = {}) {
        const { signal, onProgress } = uploadOptions;
        return new Promise((resolve, reject) => {
            if (signal?.aborted) {
                reject(new DOMException("The upload was aborted.", "AbortError"));
                return;
            }
            const xhr = options.createXhr?.() ?? new XMLHttpRequest();
            xhr.open("POST", `${baseUrl}/projects/${encodeURIComponent(String(projectId))}/files`);
            const { headers, signedIn: sent } = credentials("POST");
            for (const [name, value] of Object.entries(headers))
                xhr.setRequestHeader(name, value);
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
                        resolve(JSON.parse(xhr.responseText));
                    }
                    catch {
                        reject(new ApiError(xhr.status, "The server's answer to the upload was not JSON."));
                    }
                    return;
                }
                if (xhr.status === 401 && sent)
                    options.onUnauthorized?.();
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
export async function unwrap(call) {
    const { data, error, response } = await call;
    if (!response.ok || error !== undefined)
        throw ApiError.fromBody(response.status, error, response.statusText);
    return data;
}
