/**
 * Typed client for the chatbot platform API. The types come from api/openapi.yaml (src/schema.ts is generated
 * by openapi-typescript; regenerate with `npm run generate`), the requests go through openapi-fetch.
 */
export { createApi, unwrap } from "./client.js";
export type { Api, ApiOptions, ChatStreamOptions, UploadOptions } from "./client.js";
export { ApiError, isAbortError } from "./errors.js";
export { SseParser } from "./sse.js";
export type { SseMessage } from "./sse.js";
export { readChatEvents } from "./stream.js";
export type * from "./types.js";
export type { components, operations, paths } from "./schema.js";
