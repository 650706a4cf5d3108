import { describe, expect, it } from "vitest";
import { SseParser, type SseMessage } from "../src/sse.js";

function parseAll(chunks: string[]): SseMessage[] {
  const parser = new SseParser();
  return chunks.flatMap((c) => parser.push(c));
}

const STREAM =
  'event: start\ndata: {"conversation_id":1,"user_message_id":2}\n\n' +
  ": heartbeat\n\n" +
  'event: delta\ndata: {"text":"héllo 👋"}\n\n' +
  'event: delta\r\ndata: {"text":"\\n"}\r\n\r\n' +
  'event: done\rdata: {"reply":"x"}\r\r';

const EXPECTED: SseMessage[] = [
  { event: "start", data: '{"conversation_id":1,"user_message_id":2}' },
  { event: "delta", data: '{"text":"héllo 👋"}' },
  { event: "delta", data: '{"text":"\\n"}' },
  { event: "done", data: '{"reply":"x"}' },
];

describe("SseParser", () => {
  it("parses events with LF, CRLF and CR line ends and skips heartbeats", () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it("gives the same events however the text is split into chunks", () => {
    for (let i = 0; i <= STREAM.length; i++) {
      for (let j = i; j <= STREAM.length; j += 7) {
        const chunks = [STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)];
        expect(parseAll(chunks), `split at ${i}, ${j}`).toEqual(EXPECTED);
      }
    }
  });

  it("gives the same events when fed one character at a time", () => {
    expect(parseAll([...STREAM])).toEqual(EXPECTED);
  });

  it("joins data lines, strips one leading space and defaults the event name", () => {
    expect(parseAll(["data:a\ndata:  b\ndata\n\n"])).toEqual([{ event: "message", data: "a\n b\n" }]);
  });

  it("ignores id, retry, unknown fields, empty events and a leading BOM", () => {
    expect(parseAll(["\uFEFFid: 7\nretry: 10\nfoo: bar\n\n", "event: x\n\n", "event: y\ndata: 1\n\n"])).toEqual([
      { event: "y", data: "1" },
    ]);
  });

  it("holds back an event until its blank line arrives", () => {
    const parser = new SseParser();
    expect(parser.push("event: delta\ndata: 1\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "delta", data: "1" }]);
  });

  it("treats a CR at a chunk end followed by LF as one line end", () => {
    expect(parseAll(["data: 1\r", "\n\r", "\n"])).toEqual([{ event: "message", data: "1" }]);
  });
});
