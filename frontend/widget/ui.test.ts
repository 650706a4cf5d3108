// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Api } from "./api";
import { type Config, type Store, conversationSlot, openStore } from "./config";
import { Widget } from "./ui";

const CFG: Config = { host: "https://bot.example", key: "cb_pk_abcdefghijklmnop", title: "Support", greeting: "Hi! Ask me anything." };
const SLOT = conversationSlot(CFG.key);
const enc = new TextEncoder();

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

/** A stream the test writes events into, one at a time. */
function controlledStream() {
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
  return {
    response: new Response(stream, { headers: { "Content-Type": "text/event-stream" } }),
    send(event: string, data: unknown) {
      ctrl.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    close: () => ctrl.close(),
  };
}

const DONE = (reply: string, citations: unknown[] = []) => ({
  reply,
  conversation_id: 5,
  message_id: 11,
  model: "m",
  usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
  citations,
});

function sseText(events: [string, unknown][]): string {
  return events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("");
}

let widget: Widget;
let store: Store;
let requests: { url: string; init: RequestInit }[];
let handler: Handler;

function mount(cfg: Config = CFG): Widget {
  const fetchFn = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    return handler(url, init);
  }) as unknown as typeof fetch;
  widget = new Widget(cfg, new Api(cfg, () => "v".repeat(32), fetchFn), store);
  document.body.append(widget.host);
  return widget;
}

const $ = <T extends Element = HTMLElement>(sel: string) => widget.root.querySelector<T>(sel)!;
const $$ = (sel: string) => [...widget.root.querySelectorAll<HTMLElement>(sel)];
const bubble = () => $<HTMLButtonElement>(".bubble");
const panel = () => $('[role="dialog"]');
const input = () => $<HTMLTextAreaElement>("textarea");
const errorText = () => ($(".err").hidden ? "" : $(".err").textContent);
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await tick(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function type(text: string, opts: KeyboardEventInit = {}) {
  input().value = text;
  input().dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true, ...opts }));
}

beforeEach(() => {
  localStorage.clear();
  store = openStore();
  requests = [];
  handler = () => Response.json({ detail: "unexpected request" }, { status: 500 });
});

afterEach(() => widget?.host.remove());

describe("bubble and panel", () => {
  it("mounts a labelled bubble and a hidden dialog in a shadow root, with no inline style markup", () => {
    mount();
    expect(widget.host.shadowRoot).toBe(widget.root);
    expect(bubble().getAttribute("aria-label")).toBe("Chat: Support");
    expect(bubble().getAttribute("aria-expanded")).toBe("false");
    expect(panel().getAttribute("aria-label")).toBe("Support");
    expect(panel().hidden).toBe(true);
    expect(widget.root.querySelector("[style]")).toBeNull();
    expect(widget.root.querySelector('[aria-live="polite"]')).not.toBeNull();
    expect(requests).toEqual([]); // nothing is fetched before the visitor opens the chat
  });

  it("opens on click with focus in the message box, and Escape closes it with focus back on the bubble", () => {
    mount();
    bubble().click();
    expect(panel().hidden).toBe(false);
    expect(bubble().getAttribute("aria-expanded")).toBe("true");
    expect(widget.root.activeElement).toBe(input());
    expect($(".greeting").textContent).toBe("Hi! Ask me anything.");

    input().dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, composed: true }));
    expect(panel().hidden).toBe(true);
    expect(bubble().getAttribute("aria-expanded")).toBe("false");
    expect(widget.root.activeElement).toBe(bubble());
  });

  it("applies data-color through the CSSOM", () => {
    mount({ ...CFG, color: "rebeccapurple" });
    expect($(".w").style.getPropertyValue("--a")).toBe("rebeccapurple");
  });
});

describe("sending", () => {
  it("sends on Enter, keeps Shift+Enter for a newline, and streams the reply in as it arrives", async () => {
    const s = controlledStream();
    handler = () => s.response;
    mount();
    bubble().click();

    type("line one", { shiftKey: true });
    expect(requests).toHaveLength(0);

    type("Hello *there*");
    await until(() => requests.length === 1, "the request");
    expect(input().value).toBe("");
    expect($(".msg.user").textContent).toBe("Hello *there*"); // the visitor's words are shown as typed
    expect($(".greeting")).toBeNull();
    expect($<HTMLButtonElement>(".stop").hidden).toBe(false);
    expect($<HTMLButtonElement>(".send").hidden).toBe(true);

    s.send("start", { conversation_id: 5, user_message_id: 10 });
    s.send("delta", { text: "Hi, **you**" });
    await until(() => $(".msg.bot .md").textContent === "Hi, you", "the first delta");
    expect($(".msg.bot strong").textContent).toBe("you");
    s.send("delta", { text: " there" });
    await until(() => $(".msg.bot .md").textContent === "Hi, you there", "the second delta");
    expect(store.get(SLOT)).toBe("5");

    s.send("done", DONE("Hi, **you** there.", [{ openai_file_id: "f", file_id: 1, filename: "notes.txt", quote: "Open 9 to 5" }, { openai_file_id: "g", filename: "faq.md" }]));
    await until(() => $<HTMLButtonElement>(".stop").hidden, "the end of the stream");
    expect($(".msg.bot .md").textContent).toBe("Hi, you there.");
    expect($$(".cites li").map((li) => li.textContent)).toEqual(["notes.txtOpen 9 to 5", "faq.md"]);
    expect($(".cites summary").getAttribute("title")).toBe("Open 9 to 5");
    await until(() => $('[aria-live="polite"]').textContent === "Hi, **you** there.", "the announcement");

    const body = JSON.parse(requests[0]!.init.body as string);
    expect(body).toEqual({ message: "Hello *there*" });
  });

  it("continues the kept conversation", async () => {
    store.set(SLOT, "5");
    handler = (url) =>
      url.includes("/conversations/")
        ? Response.json({ id: 5, title: "t", messages: [] })
        : new Response(sseText([["start", { conversation_id: 5, user_message_id: 1 }], ["done", DONE("ok")]]));
    mount();
    bubble().click();
    await until(() => !$<HTMLButtonElement>(".send").disabled, "the history");
    type("again");
    await until(() => requests.length === 2, "the chat request");
    expect(JSON.parse(requests[1]!.init.body as string)).toEqual({ message: "again", conversation_id: 5 });
  });

  const refusals: [number, string][] = [
    [403, "This site is not allowed to use this chat."],
    [401, "This chat could not verify you."],
    [503, "The assistant is unavailable right now. Please try again."],
  ];
  for (const [status, message] of refusals) {
    it(`shows "${message}" for a ${status} and gives the typed text back`, async () => {
      handler = () => Response.json({ detail: "x" }, { status, headers: { "Retry-After": "3" } });
      mount();
      bubble().click();
      type("Please help");
      await until(() => errorText() !== "", "the error");
      expect(errorText()).toBe(message);
      expect($(".err").getAttribute("role")).toBe("alert");
      expect(input().value).toBe("Please help");
      expect($$(".msg.user")).toHaveLength(0);
      expect($$(".msg.bot:not(.greeting)")).toHaveLength(0);
      expect($<HTMLButtonElement>(".send").hidden).toBe(false);
    });
  }

  it("shows a stream error event's detail, keeping what was said and the typed text", async () => {
    handler = () =>
      new Response(
        sseText([
          ["start", { conversation_id: 5, user_message_id: 1 }],
          ["delta", { text: "Part" }],
          ["error", { detail: "The assistant took too long to answer.", status: 504 }],
        ]),
      );
    mount();
    bubble().click();
    type("Question");
    await until(() => errorText() !== "", "the error");
    expect(errorText()).toBe("The assistant took too long to answer.");
    expect($(".msg.user").textContent).toBe("Question");
    expect($(".msg.bot:not(.greeting) .md").textContent).toBe("Part");
    expect(input().value).toBe("Question");
  });

  it("Stop aborts the stream and keeps the part already shown", async () => {
    const s = controlledStream();
    handler = (_url, init) => {
      init.signal?.addEventListener("abort", () => s.close());
      return s.response;
    };
    mount();
    bubble().click();
    type("Long one");
    await until(() => requests.length === 1, "the request");
    s.send("start", { conversation_id: 5, user_message_id: 1 });
    s.send("delta", { text: "word0 word1" });
    await until(() => $(".msg.bot:not(.greeting) .md")?.textContent === "word0 word1", "the delta");
    expect(requests[0]!.init.signal!.aborted).toBe(false);
    $<HTMLButtonElement>(".stop").click();
    await until(() => $<HTMLButtonElement>(".stop").hidden, "the stop");
    expect(requests[0]!.init.signal!.aborted).toBe(true);
    expect($(".msg.bot:not(.greeting) .note").textContent).toBe("Stopped.");
    expect(errorText()).toBe("");
  });

  it("starts a new conversation when the kept one is gone (404), sending the message again", async () => {
    store.set(SLOT, "9");
    let chats = 0;
    handler = (url, init) => {
      if (url.includes("/conversations/")) return Response.json({ id: 9, title: "t", messages: [] });
      chats++;
      if (JSON.parse(init.body as string).conversation_id) return Response.json({ detail: "conversation not found" }, { status: 404 });
      return new Response(sseText([["start", { conversation_id: 12, user_message_id: 1 }], ["done", DONE("fresh")]]));
    };
    mount();
    bubble().click();
    await until(() => !$<HTMLButtonElement>(".send").disabled, "the history");
    type("Hello?");
    await until(() => $(".msg.bot:not(.greeting) .md")?.textContent === "fresh", "the reply");
    expect(chats).toBe(2);
    expect(store.get(SLOT)).toBe("12");
    expect($$(".msg.user").map((m) => m.textContent)).toEqual(["Hello?"]);
    expect(errorText()).toBe("");
  });
});

describe("history", () => {
  it("reloads the kept conversation on first open", async () => {
    store.set(SLOT, "5");
    handler = () =>
      Response.json({
        id: 5,
        title: "t",
        messages: [
          { id: 1, role: "user", content: "<b>Earlier</b>", citations: [], incomplete: false },
          { id: 2, role: "assistant", content: "Sure: `x`", citations: [{ openai_file_id: "f", filename: "a.pdf" }], incomplete: false },
          { id: 3, role: "user", content: "More", citations: [], incomplete: false },
          { id: 4, role: "assistant", content: "Cut", citations: [], incomplete: true },
        ],
      });
    mount();
    bubble().click();
    await until(() => $$(".msg").length === 4, "the messages");
    expect(requests.map((r) => r.url)).toEqual(["https://bot.example/conversations/5"]);
    expect($$(".msg").map((m) => m.className)).toEqual(["msg user", "msg bot", "msg user", "msg bot"]);
    expect($(".msg.user").textContent).toBe("<b>Earlier</b>");
    expect($(".msg.bot code").textContent).toBe("x");
    expect($(".cites").textContent).toBe("a.pdf");
    expect($$(".msg.bot")[1]!.querySelector(".note")!.textContent).toMatch(/interrupted/);
    expect($(".greeting")).toBeNull();

    // Closing and opening again does not fetch it twice.
    bubble().click();
    bubble().click();
    await tick(10);
    expect(requests).toHaveLength(1);
  });

  it("forgets a conversation that answers 404 and greets instead", async () => {
    store.set(SLOT, "5");
    handler = () => Response.json({ detail: "conversation not found" }, { status: 404 });
    mount();
    bubble().click();
    await until(() => $(".greeting") !== null, "the greeting");
    expect(store.get(SLOT)).toBeNull();
    expect(errorText()).toBe("");
  });

  it("New conversation forgets the kept one and clears the log", async () => {
    store.set(SLOT, "5");
    handler = () =>
      Response.json({ id: 5, title: "t", messages: [{ id: 1, role: "user", content: "old", citations: [], incomplete: false }] });
    mount();
    bubble().click();
    await until(() => $$(".msg.user").length === 1, "the history");
    $<HTMLButtonElement>('[aria-label="New conversation"]').click();
    expect($$(".msg.user")).toHaveLength(0);
    expect($(".greeting")).not.toBeNull();
    expect(store.get(SLOT)).toBeNull();
    expect(widget.root.activeElement).toBe(input());
  });
});

describe("rating answers", () => {
  const thumb = (label: "Good answer" | "Bad answer", n = 0) => $$(`.rate [aria-label="${label}"]`)[n] as HTMLButtonElement;

  it("shows thumbs under a finished reply and sends the rating with the key and the visitor, then clears it", async () => {
    handler = (url) =>
      url.endsWith("/chat/stream")
        ? new Response(sseText([["start", { conversation_id: 5, user_message_id: 10 }], ["done", DONE("Four.")]]))
        : new Response(null, { status: url.includes("/feedback") ? 200 : 500 });
    mount();
    bubble().click();
    type("2+2?");
    await until(() => $$(".rate").length === 1, "the thumbs");
    expect($(".rate").getAttribute("role")).toBe("group");
    expect(thumb("Good answer").getAttribute("aria-pressed")).toBe("false");
    expect(thumb("Bad answer").getAttribute("aria-pressed")).toBe("false");

    thumb("Good answer").click();
    await until(() => thumb("Good answer").getAttribute("aria-pressed") === "true", "the pressed thumb");
    const put = requests[1]!;
    expect(put.url).toBe("https://bot.example/conversations/5/messages/11/feedback");
    expect(put.init.method).toBe("PUT");
    expect(put.init.body).toBe('{"rating":"up"}');
    expect((put.init.headers as Record<string, string>)["X-Visitor-Id"]).toBe("v".repeat(32));
    expect(thumb("Bad answer").getAttribute("aria-pressed")).toBe("false");

    thumb("Bad answer").click();
    await until(() => thumb("Bad answer").getAttribute("aria-pressed") === "true", "the other thumb");
    expect(requests[2]!.init.body).toBe('{"rating":"down"}');
    expect(thumb("Good answer").getAttribute("aria-pressed")).toBe("false");

    thumb("Bad answer").click();
    await until(() => thumb("Bad answer").getAttribute("aria-pressed") === "false", "the cleared rating");
    expect(requests[3]!.init.method).toBe("DELETE");
    expect(requests[3]!.init.body).toBeUndefined();
  });

  it("shows a stored rating as pressed, and keeps it when a new rating fails", async () => {
    store.set(SLOT, "5");
    handler = (url) =>
      url.includes("/feedback")
        ? Response.json({ detail: "conversation not found" }, { status: 404 })
        : Response.json({
            id: 5,
            title: "t",
            messages: [
              { id: 1, role: "user", content: "Q", citations: [], incomplete: false },
              { id: 2, role: "assistant", content: "A", citations: [], incomplete: false, feedback: { message_id: 2, rating: "down", comment: "" } },
            ],
          });
    mount({ ...CFG, user: "u-1", userHash: "a".repeat(64) });
    bubble().click();
    await until(() => $$(".rate").length === 1, "the thumbs");
    expect(thumb("Bad answer").getAttribute("aria-pressed")).toBe("true");

    thumb("Good answer").click();
    await until(() => errorText() !== "", "the error");
    expect(errorText()).toBe("conversation not found");
    expect(requests[1]!.url).toBe(`https://bot.example/conversations/5/messages/2/feedback?user=u-1&user_hash=${"a".repeat(64)}`);
    expect(thumb("Bad answer").getAttribute("aria-pressed")).toBe("true");
    expect(thumb("Good answer").disabled).toBe(false);
  });
});
