/**
 * An error answer of the API: its HTTP status and the `detail` the server wrote for a person to read.
 * Status 0 means the exchange broke off without an HTTP answer to report (e.g. a stream cut mid-reply).
 */
export class ApiError extends Error {
    status;
    detail;
    errors;
    name = "ApiError";
    constructor(status, detail, errors = []) {
        super(detail);
        this.status = status;
        this.detail = detail;
        this.errors = errors;
    }
    /** Builds the error from an error body, which should be `{"detail": ...}` but may be anything a proxy sent. */
    static fromBody(status, body, statusText = "") {
        if (body !== null && typeof body === "object" && "detail" in body) {
            const { detail, errors } = body;
            if (typeof detail === "string") {
                return new ApiError(status, detail, Array.isArray(errors) ? errors : []);
            }
        }
        if (typeof body === "string" && body.trim() !== "" && body.length <= 300 && !body.trimStart().startsWith("<")) {
            return new ApiError(status, body.trim());
        }
        return new ApiError(status, `Request failed: ${status}${statusText ? ` ${statusText}` : ""}`);
    }
    /** Like fromBody, for a body still held as text (JSON when the server followed the contract). */
    static fromText(status, text, statusText = "") {
        let body = text;
        try {
            body = JSON.parse(text);
        }
        catch {
            // Not JSON (an HTML error page from a proxy, say): fromBody falls back to the status line.
        }
        return ApiError.fromBody(status, body, statusText);
    }
    /** Reads an error response's body; never throws. */
    static async fromResponse(response) {
        let text = "";
        try {
            text = await response.text();
        }
        catch {
            // The body could not be read: the status alone has to do.
        }
        return ApiError.fromText(response.status, text, response.statusText);
    }
}
/** True for the error a fetch, a stream or an upload raises when its AbortSignal fired. */
export function isAbortError(err) {
    return err instanceof Error && err.name === "AbortError";
}
