import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, createApi, isAbortError, type ChatStreamEvent } from "../src/index.js";
import { jsonResponse, splitBytes, streamResponse } from "./helpers.js";

const DONE = {
  reply: "Héllo 👋 world",
  conversation_id: 4,
  message_id: 9,
  model: "gpt-4o-mini",
  usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
  citations: [],
};

const BODY =
  ": ping\n\n" +
  'event: start\ndata: {"conversation_id":4,"user_message_id":8}\n\n' +
  'event: delta\ndata: {"text":"Héllo 👋"}\n\n' +
  ": ping\n\n" +
  'event: delta\ndata: {"text":" world"}\n\n' +
  `event: done\ndata: ${JSON.stringify(DONE)}\n\n`;

async function collect(iter: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const ev of iter) out.push(ev);
  return out;
}

describe("chatStream", () => {
  it("posts the request with the token and yields start, deltas and done", async () => {
    let seen: Request | undefined;
    const api = createApi({
      baseUrl: "http://api.test/",
      getToken: () => "tok",
      fetch: async (req) => {
        seen = req;
        return streamResponse([BODY]);
      },
    });
    const events = await collect(api.chatStream({ project_id: 3, message: "hi" }));
    expect(seen?.url).toBe("http://api.test/chat/stream");
    expect(seen?.method).toBe("POST");
    expect(seen?.headers.get("Authorization")).toBe("Bearer tok");
    expect(await seen?.json()).toEqual({ project_id: 3, message: "hi" });
    expect(events).toEqual([
      { event: "start", data: { conversation_id: 4, user_message_id: 8 } },
      { event: "delta", data: { text: "Héllo 👋" } },
      { event: "delta", data: { text: " world" } },
      { event: "done", data: DONE },
    ]);
  });

  it("hands the response headers over before the first event", async () => {
    const api = createApi({
      baseUrl: "http://api.test",
      fetch: async () =>
        streamResponse([BODY], { headers: { "Content-Type": "text/event-stream", "X-Budget-Remaining": "4.120000 USD project" } }),
    });
    const order: string[] = [];
    const onHeaders = (h: Headers) => order.push(`headers ${h.get("X-Budget-Remaining")}`);
    for await (const ev of api.chatStream({ project_id: 1, message: "m" }, { onHeaders })) order.push(ev.event);
    expect(order).toEqual(["headers 4.120000 USD project", "start", "delta", "delta", "done"]);
  });

  it("decodes events split at any byte, even inside a multi-byte character", async () => {
    const api0 = createApi({ baseUrl: "http://api.test", fetch: async () => streamResponse([BODY]) });
    const whole = await collect(api0.chatStream({ project_id: 1, message: "m" }));
    for (const size of [1, 2, 3, 5, 13]) {
      const api = createApi({ baseUrl: "http://api.test", fetch: async () => streamResponse(splitBytes(BODY, size)) });
      expect(await collect(api.chatStream({ project_id: 1, message: "m" })), `chunks of ${size} bytes`).toEqual(whole);
    }
  });

  it("ends after an error event and skips unknown events", async () => {
    const api = createApi({
      baseUrl: "http://api.test",
      fetch: async () =>
        streamResponse([
          'event: start\ndata: {"conversation_id":1,"user_message_id":2}\n\n',
          'event: usage\ndata: {"future":true}\n\n',
          'event: error\ndata: {"detail":"upstream timed out","status":504}\n\n',
          'event: delta\ndata: {"text":"never"}\n\n',
        ]),
    });
    const events = await collect(api.chatStream({ project_id: 1, message: "m" }));
    expect(events.map((e) => e.event)).toEqual(["start", "error"]);
    expect(events[1]).toEqual({ event: "error", data: { detail: "upstream timed out", status: 504 } });
  });

  it("throws the JSON error the server answers before the stream starts", async () => {
    const api = createApi({ baseUrl: "http://api.test", fetch: async () => jsonResponse(404, { detail: "project not found" }) });
    const err = await collect(api.chatStream({ project_id: 1, message: "m" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, detail: "project not found" });
  });

  it("reports a 401 to onUnauthorized when a token was sent", async () => {
    const onUnauthorized = vi.fn();
    const api = createApi({
      baseUrl: "http://api.test",
      getToken: () => "expired",
      onUnauthorized,
      fetch: async () => jsonResponse(401, { detail: "token expired" }),
    });
    await expect(collect(api.chatStream({ project_id: 1, message: "m" }))).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("falls back to the status when an error body is not JSON", async () => {
    const api = createApi({
      baseUrl: "http://api.test",
      fetch: async () => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    });
    await expect(collect(api.chatStream({ project_id: 1, message: "m" }))).rejects.toMatchObject({
      status: 502,
      detail: "Request failed: 502 Bad Gateway",
    });
  });

  it("throws when the connection closes before done", async () => {
    const api = createApi({
      baseUrl: "http://api.test",
      fetch: async () => streamResponse(['event: delta\ndata: {"text":"par"}\n\n']),
    });
    const events: ChatStreamEvent[] = [];
    const err = await (async () => {
      for await (const ev of api.chatStream({ project_id: 1, message: "m" })) events.push(ev);
    })().catch((e: unknown) => e);
    expect(events).toHaveLength(1);
    expect(err).toMatchObject({ status: 0 });
  });

  it("rejects a 200 answer that is not an event stream", async () => {
    const api = createApi({ baseUrl: "http://api.test", fetch: async () => jsonResponse(200, DONE) });
    await expect(collect(api.chatStream({ project_id: 1, message: "m" }))).rejects.toBeInstanceOf(ApiError);
  });
});

describe("chatStream over a real connection", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it("stops on abort with an AbortError and closes the connection", async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    server = createServer((_req, res: ServerResponse) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write('event: start\ndata: {"conversation_id":1,"user_message_id":2}\n\n');
      res.write('event: delta\ndata: {"text":"first"}\n\n');
      const ping = setInterval(() => res.write(": heartbeat\n\n"), 20);
      res.on("close", () => {
        clearInterval(ping);
        closed();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;

    const abort = new AbortController();
    const api = createApi({ baseUrl: `http://127.0.0.1:${port}` });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const ev of api.chatStream({ project_id: 1, message: "m" }, { signal: abort.signal })) {
        seen.push(ev.event);
        if (ev.event === "delta") abort.abort();
      }
    })().catch((e: unknown) => e);

    expect(seen).toEqual(["start", "delta"]);
    expect(isAbortError(err)).toBe(true);
    await connectionClosed;
  });
});
