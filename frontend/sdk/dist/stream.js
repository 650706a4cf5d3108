import { ApiError } from "./errors.js";
import { SseParser } from "./sse.js";
const EVENTS = new Set(["start", "delta", "done", "error"]);
/**
 * Reads a `POST /chat/stream` body and yields its events until `done` or `error`, which end it. Events of other
 * names are skipped so that a newer server can add some. Throws ApiError (status 0) when the connection closes
 * before either, and the AbortError of the fetch when its signal fires. Leaving the loop early cancels the body.
 */
export async function* readChatEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
        for (;;) {
            const { done, value } = await reader.read();
            const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
            for (const msg of parser.push(text)) {
                if (!EVENTS.has(msg.event))
                    continue;
                const event = { event: msg.event, data: JSON.parse(msg.data) };
                yield event;
                if (event.event === "done" || event.event === "error")
                    return;
            }
            if (done)
                throw new ApiError(0, "The connection closed before the reply was complete.");
        }
    }
    finally {
        // Cancelling closes the connection when the consumer stops early; it may reject once the stream errored.
        reader.cancel().catch(() => { });
    }
}
