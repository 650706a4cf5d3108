import { describe, expect, it } from "vitest";
import type { ChatStreamEvent } from "../sdk/src/types";
import { Api, UNAVAILABLE, WidgetError, describe as describeError, waitText } from "./api";
import type { Config } from "./config";

const HOST = "https://bot.example";
const ANON: Config = { host: HOST, key: "cb_pk_abcdefghijklmnop", title: "Chat" };
const SIGNED: Config = { ...ANON, user: "alice", userHash: "a".repeat(64) };
const VISITOR = "V".repeat(32);

// A whole reply as the server frames it: heartbeats, CRLF line ends on one event, UTF-8 beyond ASCII.
const STREAM =
  ": connected\n\n" +
  'event: start\ndata: {"conversation_id":7,"user_message_id":70}\n\n' +
  'event: delta\ndata: {"text":"Héllo "}\n\n' +
  ": heartbeat\n\n" +
  'event: delta\r\ndata: {"text":"wörld 👋"}\r\n\r\n' +
  'event: future\ndata: {"ignored":true}\n\n' +
  'event: done\ndata: {"reply":"Héllo wörld 👋","conversation_id":7,"message_id":71,"model":"m",' +
  '"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3},"citations":[]}\n\n';

const EXPECTED = ["start", "delta:Héllo ", "delta:wörld 👋", "done"];

/** A body that delivers the given byte chunks one read at a time. */
function body(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]!);
      else c.close();
    },
  });
}

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return respond(call);
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const sse = (stream: ReadableStream<Uint8Array> | string) =>
  new Response(stream, { status: 200, headers: { "Content-Type": "text/event-stream" } });

async function collect(api: Api, conversation: number | null = null): Promise<string[]> {
  const seen: string[] = [];
  await api.chat("Hi", conversation, new AbortController().signal, (e: ChatStreamEvent) =>
    seen.push(e.event === "delta" ? `delta:${e.data.text}` : e.event),
  );
  return seen;
}

describe("chat stream parsing", () => {
  it("reads start, deltas and done, skipping heartbeats and unknown events", async () => {
    const { fn } = fakeFetch(() => sse(STREAM));
    expect(await collect(new Api(ANON, () => VISITOR, fn))).toEqual(EXPECTED);
  });

  it("gives the same events however the bytes are split (inside lines, CRLF pairs and multi-byte characters)", async () => {
    const bytes = new TextEncoder().encode(STREAM);
    for (let i = 1; i < bytes.length; i++) {
      for (const j of [i + 1, i + 5, i + 17]) {
        if (j >= bytes.length) continue;
        const { fn } = fakeFetch(() => sse(body([bytes.slice(0, i), bytes.slice(i, j), bytes.slice(j)])));
        expect(await collect(new Api(ANON, () => VISITOR, fn)), `split at ${i}, ${j}`).toEqual(EXPECTED);
      }
    }
  });

  it("reads a stream delivered one byte at a time", async () => {
    const bytes = new TextEncoder().encode(STREAM);
    const { fn } = fakeFetch(() => sse(body([...bytes].map((b) => Uint8Array.of(b)))));
    expect(await collect(new Api(ANON, () => VISITOR, fn))).toEqual(EXPECTED);
  });

  it("ends at an error event and hands it over", async () => {
    const { fn } = fakeFetch(() =>
      sse('event: start\ndata: {"conversation_id":1,"user_message_id":1}\n\nevent: error\ndata: {"detail":"Upstream timed out","status":504}\n\n'),
    );
    const seen: ChatStreamEvent[] = [];
    await new Api(ANON, () => VISITOR, fn).chat("Hi", null, new AbortController().signal, (e) => seen.push(e));
    expect(seen.at(-1)).toEqual({ event: "error", data: { detail: "Upstream timed out", status: 504 } });
  });

  it("reports a stream cut before done as the unavailable message", async () => {
    const { fn } = fakeFetch(() => sse('event: delta\ndata: {"text":"par'));
    const err = await collect(new Api(ANON, () => VISITOR, fn)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WidgetError);
    expect((err as WidgetError).message).toBe(UNAVAILABLE);
  });

  it("rejects with an AbortError when stopped mid-stream", async () => {
    const ctrl = new AbortController();
    const { fn } = fakeFetch((call) => {
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('event: delta\ndata: {"text":"a"}\n\n'));
          call.init.signal!.addEventListener("abort", () => c.error(new DOMException("aborted", "AbortError")));
        },
      });
      return sse(stream);
    });
    const done = new Api(ANON, () => VISITOR, fn).chat("Hi", null, ctrl.signal, () => ctrl.abort());
    await expect(done).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("chat request", () => {
  it("sends an anonymous visitor's message with the key and X-Visitor-Id, to the script's host only", async () => {
    const { fn, calls } = fakeFetch(() => sse(STREAM));
    await collect(new Api(ANON, () => VISITOR, fn), 7);
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe(`${HOST}/chat/stream`);
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("omit");
    expect(init.headers).toMatchObject({
      Authorization: "Bearer cb_pk_abcdefghijklmnop",
      "Content-Type": "application/json",
      "X-Visitor-Id": VISITOR,
    });
    expect(JSON.parse(init.body as string)).toEqual({ message: "Hi", conversation_id: 7 });
  });

  it("sends a signed-in visitor's user and user_hash, without X-Visitor-Id or project_id", async () => {
    const { fn, calls } = fakeFetch(() => sse(STREAM));
    await collect(new Api(SIGNED, () => VISITOR, fn));
    const { init } = calls[0]!;
    expect(init.headers).not.toHaveProperty("X-Visitor-Id");
    expect(JSON.parse(init.body as string)).toEqual({ message: "Hi", user: "alice", user_hash: "a".repeat(64) });
  });

  const refusals: [number, Record<string, string>, string][] = [
    [400, {}, "Message is too long"],
    [401, {}, "This chat could not verify you."],
    [403, {}, "This site is not allowed to use this chat."],
    [404, {}, "conversation not found"],
    [429, { "Retry-After": "120" }, "Message limit reached. Try again later. (Wait 2 minutes.)"],
    [429, {}, "Message limit reached. Try again later."],
    [502, {}, UNAVAILABLE],
    [503, { "Retry-After": "5" }, UNAVAILABLE],
    [504, {}, UNAVAILABLE],
  ];
  for (const [status, headers, want] of refusals) {
    it(`turns a ${status} into "${want}"`, async () => {
      const detail = status === 400 ? "Message is too long" : status === 404 ? "conversation not found" : "server words";
      const { fn } = fakeFetch(() => Response.json({ detail }, { status, headers }));
      const err = await collect(new Api(ANON, () => VISITOR, fn)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WidgetError);
      expect(err).toMatchObject({ status, message: want });
    });
  }

  it("reports a network failure (or a refused CORS preflight) as unavailable", async () => {
    const fn = (() => Promise.reject(new TypeError("Failed to fetch"))) as unknown as typeof fetch;
    await expect(collect(new Api(ANON, () => VISITOR, fn))).rejects.toMatchObject({ status: 0, message: UNAVAILABLE });
  });
});

describe("history request", () => {
  it("asks for an anonymous visitor's conversation with X-Visitor-Id", async () => {
    const detail = { id: 7, title: "t", messages: [] };
    const { fn, calls } = fakeFetch(() => Response.json(detail));
    expect(await new Api(ANON, () => VISITOR, fn).history(7)).toEqual(detail);
    expect(calls[0]!.url).toBe(`${HOST}/conversations/7`);
    expect(calls[0]!.init.headers).toEqual({ Authorization: "Bearer cb_pk_abcdefghijklmnop", "X-Visitor-Id": VISITOR });
  });

  it("asks for a signed-in visitor's conversation with user and user_hash in the query", async () => {
    const { fn, calls } = fakeFetch(() => Response.json({ id: 7, title: "t", messages: [] }));
    await new Api({ ...SIGNED, user: "a&b=c" }, () => VISITOR, fn).history(7);
    expect(calls[0]!.url).toBe(`${HOST}/conversations/7?user=a%26b%3Dc&user_hash=${"a".repeat(64)}`);
    expect(calls[0]!.init.headers).toEqual({ Authorization: "Bearer cb_pk_abcdefghijklmnop" });
  });

  it("rejects a missing conversation with status 404", async () => {
    const { fn } = fakeFetch(() => Response.json({ detail: "conversation not found" }, { status: 404 }));
    await expect(new Api(ANON, () => VISITOR, fn).history(9)).rejects.toMatchObject({ status: 404 });
  });
});

describe("error sentences", () => {
  it("falls back to the status when a 4xx has no detail", () => {
    expect(describeError(418)).toBe("The request failed (418).");
    expect(describeError(500, "internal error")).toBe(UNAVAILABLE);
  });

  it("spells out Retry-After in seconds, minutes or hours, or as an HTTP date", () => {
    expect(waitText("1")).toBe("1 second");
    expect(waitText("45")).toBe("45 seconds");
    expect(waitText("3600")).toBe("60 minutes");
    expect(waitText("7200")).toBe("2 hours");
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(waitText("Thu, 01 Jan 2026 00:05:00 GMT", now)).toBe("5 minutes");
    for (const bad of [null, "", "0", "soon", "-5"]) expect(waitText(bad)).toBe("");
  });
});
