/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format) for text that arrives in arbitrary
 * chunks: a line, or a "\r\n" pair, may be split across two chunks. Comment lines (":" heartbeats), `id:` and
 * `retry:` are ignored because the chat stream neither resumes nor reconnects.
 */
export class SseParser {
    buffer = "";
    event = "";
    data = [];
    // A chunk ending in "\r" may be the first half of "\r\n": the "\n" at the start of the next chunk is skipped.
    pendingCR = false;
    started = false;
    /** Feeds decoded text and returns the events it completed, in order. */
    push(chunk) {
        let text = chunk;
        if (!this.started && text.length > 0) {
            this.started = true;
            if (text.charCodeAt(0) === 0xfeff)
                text = text.slice(1);
        }
        if (this.pendingCR && text.startsWith("\n"))
            text = text.slice(1);
        if (text.length > 0)
            this.pendingCR = false;
        this.buffer += text;
        const out = [];
        let lineStart = 0;
        for (let i = 0; i < this.buffer.length; i++) {
            const c = this.buffer[i];
            if (c !== "\n" && c !== "\r")
                continue;
            const line = this.buffer.slice(lineStart, i);
            if (c === "\r") {
                if (i + 1 === this.buffer.length)
                    this.pendingCR = true;
                else if (this.buffer[i + 1] === "\n")
                    i++;
            }
            lineStart = i + 1;
            this.processLine(line, out);
        }
        this.buffer = this.buffer.slice(lineStart);
        return out;
    }
    processLine(line, out) {
        if (line === "") {
            if (this.data.length > 0)
                out.push({ event: this.event || "message", data: this.data.join("\n") });
            this.event = "";
            this.data = [];
            return;
        }
        if (line.startsWith(":"))
            return;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" "))
            value = value.slice(1);
        if (field === "event")
            this.event = value;
        else if (field === "data")
            this.data.push(value);
    }
}
