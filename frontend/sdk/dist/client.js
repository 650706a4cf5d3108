import createClient from "openapi-fetch";
import { ApiError } from "./errors.js";
import { readChatEvents } from "./stream.js";
/** Creates a client. Every request carries `Authorization: Bearer <getToken()>` when there is a token. */
export function createApi(options = {}) {
    const baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    const doFetch = options.fetch ?? ((request) => globalThis.fetch(request));
    const client = createClient({ baseUrl, fetch: doFetch });
    client.use({
        onRequest({ request }) {
            const token = options.getToken?.();
            if (token)
                request.headers.set("Authorization", `Bearer ${token}`);
            return request;
        },
        onResponse({ request, response }) {
            if (response.status === 401 && request.headers.has("Authorization"))
                options.onUnauthorized?.();
            return response;
        },
    });
    async function* chatStream(body, streamOptions = {}) {
        const token = options.getToken?.();
        const headers = new Headers({ "Content-Type": "application/json", Accept: "text/event-stream" });
        if (token)
            headers.set("Authorization", `Bearer ${token}`);
        const request = new Request(`${baseUrl}/chat/stream`, {
            method: "POST",
            headers,
            body: JSON.stringify(body),
            signal: streamOptions.signal,
        });
        const response = await doFetch(request);
        if (!response.ok) {
            if (response.status === 401 && token)
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
            const token = options.getToken?.();
            xhr.open("POST", `${baseUrl}/projects/${encodeURIComponent(String(projectId))}/files`);
            if (token)
                xhr.setRequestHeader("Authorization", `Bearer ${token}`);
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
                if (xhr.status === 401 && token)
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
