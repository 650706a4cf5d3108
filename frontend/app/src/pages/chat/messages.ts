import type { ChatMessage, Citation } from "@chatbot-platform/sdk";
import { formatCount, formatMs } from "../../lib/format";

/** A message as the chat page shows it, including replies still streaming or that failed. */
export interface UiMessage {
  key: string;
  role: "user" | "assistant";
  content: string;
  citations: Citation[];
  /** streaming: arriving; stopped: the reader pressed Stop; failed: see error; incomplete: cut off earlier. */
  state: "done" | "streaming" | "stopped" | "failed" | "incomplete";
  error?: string;
  /** The HTTP status of a failure (429: a budget, quota or rate limit). */
  errorStatus?: number;
  /** The stored message's id, once the server said it. */
  id?: number;
  /** A reply's token counts and how long it took, as the server recorded them; null when unknown. */
  inputTokens?: number | null;
  outputTokens?: number | null;
  latencyMs?: number | null;
}

export function fromApi(message: ChatMessage): UiMessage {
  return {
    key: `m${message.id}`,
    id: message.id,
    role: message.role,
    content: message.content,
    citations: message.citations,
    state: message.incomplete ? "incomplete" : "done",
    inputTokens: message.input_tokens ?? null,
    outputTokens: message.output_tokens ?? null,
    latencyMs: message.latency_ms ?? null,
  };
}

/** A reply's figures in small print ("1,234 tokens in · 56 out · 1.2 s"); undefined when none is known. */
export function replyFigures(m: Pick<UiMessage, "inputTokens" | "outputTokens" | "latencyMs">): string | undefined {
  const parts: string[] = [];
  const known = (n: number | null | undefined): n is number => typeof n === "number";
  if (known(m.inputTokens) || known(m.outputTokens)) {
    parts.push(`${known(m.inputTokens) ? formatCount(m.inputTokens) : "?"} tokens in`);
    parts.push(`${known(m.outputTokens) ? formatCount(m.outputTokens) : "?"} out`);
  }
  if (known(m.latencyMs)) parts.push(formatMs(m.latencyMs));
  return parts.length > 0 ? parts.join(" · ") : undefined;
}
