// The widget's requests, all to its own host with the publishable key: the streamed chat, a conversation's
// history and rating an answer. Who the visitor is travels as X-Visitor-Id (anonymous) or user + user_hash (signed in).
import { ApiError, isAbortError } from "../sdk/src/errors.js";
import { readChatEvents } from "../sdk/src/stream.js";
import type { ChatRequest, ChatStreamEvent, ConversationDetail, Feedback } from "../sdk/src/types.js";
import type { Config } from "./config.js";

/** An answer the widget cannot use: an HTTP status (0: no answer at all) and what to show the visitor. */
export class WidgetError extends Error {
  override readonly name = "WidgetError";

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Rating = Feedback["rating"];

export const UNAVAILABLE = "The assistant is unavailable right now. Please try again.";

/** The visitor-facing sentence for an error status, its server detail and Retry-After header. */
export function describe(status: number, detail = "", retryAfter: string | null = null): string {
  switch (status) {
    case 401:
      return "This chat could not verify you.";
    case 403:
      return "This site is not allowed to use this chat.";
    case 429: {
      const wait = waitText(retryAfter);
      return `Message limit reached. Try again later.${wait ? ` (Wait ${wait}.)` : ""}`;
    }
  }
  if (status === 0 || status >= 500) return UNAVAILABLE;
  return detail || `The request failed (${status}).`;
}

/** "30 seconds", "5 minutes", "2 hours" for a Retry-After of seconds or an HTTP date; "" when unreadable. */
export function waitText(retryAfter: string | null, now = Date.now()): string {
  if (!retryAfter) return "";
  let s = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : (Date.parse(retryAfter) - now) / 1000;
  if (!(s > 0)) return "";
  s = Math.ceil(s);
  const [n, unit] = s < 90 ? [s, "second"] : s < 5400 ? [Math.ceil(s / 60), "minute"] : [Math.ceil(s / 3600), "hour"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

export class Api {
  constructor(
    private readonly cfg: Config,
    private readonly visitor: () => string,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  private headers(json = false): Record<string, string> {
    const h: Record<string, string> = { Authorization: `Bearer ${this.cfg.key}` };
    if (json) h["Content-Type"] = "application/json";
    if (!this.cfg.user) h["X-Visitor-Id"] = this.visitor();
    return h;
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(this.cfg.host + path, { ...init, credentials: "omit", mode: "cors" });
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw new WidgetError(0, UNAVAILABLE); // offline, refused, or a CORS preflight the server declined
    }
    if (!res.ok) {
      const err = await ApiError.fromResponse(res);
      throw new WidgetError(res.status, describe(res.status, err.detail, res.headers.get("Retry-After")));
    }
    return res;
  }

  /**
   * Sends a message and calls onEvent for each event of the reply until `done` or `error`. Rejects with a
   * WidgetError (the status and the sentence to show) when the server refuses or the stream breaks, and with
   * an AbortError when signal fires.
   */
  async chat(
    message: string,
    conversationId: number | null,
    signal: AbortSignal,
    onEvent: (e: ChatStreamEvent) => void,
  ): Promise<void> {
    const body: ChatRequest = { message };
    if (conversationId) body.conversation_id = conversationId;
    if (this.cfg.user) {
      body.user = this.cfg.user;
      if (this.cfg.userHash) body.user_hash = this.cfg.userHash;
    }
    const res = await this.request("/chat/stream", {
      method: "POST",
      headers: { ...this.headers(true), Accept: "text/event-stream" },
      body: JSON.stringify(body),
      signal,
    });
    if (!res.body) throw new WidgetError(0, UNAVAILABLE);
    try {
      for await (const event of readChatEvents(res.body)) onEvent(event);
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw err;
      throw new WidgetError(0, UNAVAILABLE);
    }
  }

  /** A signed-in visitor's user and user_hash as a query string ("" for an anonymous visitor). */
  private who(): string {
    const q = new URLSearchParams();
    if (this.cfg.user) {
      q.set("user", this.cfg.user);
      if (this.cfg.userHash) q.set("user_hash", this.cfg.userHash);
    }
    const query = q.toString();
    return query && `?${query}`;
  }

  /** Loads a conversation with its messages. Rejects with a WidgetError (404: gone or not this visitor's). */
  async history(id: number, signal?: AbortSignal): Promise<ConversationDetail> {
    const res = await this.request(`/conversations/${id}${this.who()}`, { headers: this.headers(), signal });
    try {
      return (await res.json()) as ConversationDetail;
    } catch {
      throw new WidgetError(0, UNAVAILABLE);
    }
  }

  /** Rates an answer up or down, or clears its rating (null). Rejects with a WidgetError. */
  async rate(conversationId: number, messageId: number, rating: Rating | null): Promise<void> {
    await this.request(`/conversations/${conversationId}/messages/${messageId}/feedback${this.who()}`, {
      method: rating ? "PUT" : "DELETE",
      headers: this.headers(!!rating),
      ...(rating ? { body: JSON.stringify({ rating }) } : {}),
    });
  }
}
