import type { components } from "./schema.js";
type FieldError = components["schemas"]["FieldError"];
/**
 * An error answer of the API: its HTTP status and the `detail` the server wrote for a person to read.
 * Status 0 means the exchange broke off without an HTTP answer to report (e.g. a stream cut mid-reply).
 */
export declare class ApiError extends Error {
    readonly status: number;
    readonly detail: string;
    readonly errors: FieldError[];
    readonly name = "ApiError";
    constructor(status: number, detail: string, errors?: FieldError[]);
    /** Builds the error from an error body, which should be `{"detail": ...}` but may be anything a proxy sent. */
    static fromBody(status: number, body: unknown, statusText?: string): ApiError;
    /** Like fromBody, for a body still held as text (JSON when the server followed the contract). */
    static fromText(status: number, text: string, statusText?: string): ApiError;
    /** Reads an error response's body; never throws. */
    static fromResponse(response: Response): Promise<ApiError>;
}
/** True for the error a fetch, a stream or an upload raises when its AbortSignal fired. */
export declare function isAbortError(err: unknown): boolean;
export {};
