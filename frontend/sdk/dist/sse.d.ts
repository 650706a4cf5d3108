/** One Server-Sent Event: its `event:` name ("message" when absent) and its `data:` lines joined with "\n". */
export interface SseMessage {
    event: string;
    data: string;
}
/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format) for text that arrives in arbitrary
 * chunks: a line, or a "\r\n" pair, may be split across two chunks. Comment lines (":" heartbeats), `id:` and
 * `retry:` are ignored because the chat stream neither resumes nor reconnects.
 */
export declare class SseParser {
    private buffer;
    private event;
    private data;
    private pendingCR;
    private started;
    /** Feeds decoded text and returns the events it completed, in order. */
    push(chunk: string): SseMessage[];
    private processLine;
}
