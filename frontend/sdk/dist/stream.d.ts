import type { ChatStreamEvent } from "./types.js";
/**
 * Reads a `POST /chat/stream` body and yields its events until `done` or `error`, which end it. Events of other
 * names are skipped so that a newer server can add some. Throws ApiError (status 0) when the connection closes
 * before either, and the AbortError of the fetch when its signal fires. Leaving the loop early cancels the body.
 */
export declare function readChatEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatStreamEvent>;
