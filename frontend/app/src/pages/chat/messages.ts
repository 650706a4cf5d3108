import type { ChatMessage, Citation } from "@chatbot-platform/sdk";
import { formatCount, formatMs, formatUSD } from "../../lib/format";

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
  /** The model that wrote a reply, its token counts and how long it took, as the server recorded them; null when unknown. */
  model?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  latencyMs?: number | null;
  /** What was left of the tightest budget before this reply (X-Budget-Remaining), for people. */
  budgetLeft?: string;
  /** The release that answered (null: the draft); undefined until the server said, and for questions. */
  release?: number | null;
}

export function fromApi(message: ChatMessage): UiMessage {
  return {
    key: `m${message.id}`,
    id: message.id,
    role: message.role,
    content: message.content,
    citations: message.citations,
    state: message.incomplete ? "incomplete" : "done",
    model: message.model ?? null,
    inputTokens: message.input_tokens ?? null,
    outputTokens: message.output_tokens ?? null,
    latencyMs: message.latency_ms ?? null,
    ...(message.role === "assistant" ? { release: message.release } : {}),
  };
}

/** Which state of the bot wrote a reply: "draft" or "release 3"; undefined when not known (or a question). */
export function releaseLabel(m: Pick<UiMessage, "release">): string | undefined {
  if (m.release === undefined) return undefined;
  return m.release === null ? "draft" : `release ${m.release}`;
}

/** A reply's figures in small print ("gpt-4o-mini · 1,234 tokens in · 56 out · 1.2 s"); undefined when none is known. */
export function replyFigures(
  m: Pick<UiMessage, "model" | "inputTokens" | "outputTokens" | "latencyMs">,
): string | undefined {
  const parts: string[] = [];
  if (m.model) parts.push(m.model);
  const known = (n: number | null | undefined): n is number => typeof n === "number";
  if (known(m.inputTokens) || known(m.outputTokens)) {
    parts.push(`${known(m.inputTokens) ? formatCount(m.inputTokens) : "?"} tokens in`);
    parts.push(`${known(m.outputTokens) ? formatCount(m.outputTokens) : "?"} out`);
  }
  if (known(m.latencyMs)) parts.push(formatMs(m.latencyMs));
  return parts.length > 0 ? parts.join(" · ") : undefined;
}

const BUDGET_NAMES: Record<string, string> = {
  project: "the project's monthly budget",
  key: "the key's monthly budget",
  end_user_daily: "the end user's daily budget",
  end_user_monthly: "the end user's monthly budget",
};

/**
 * The X-Budget-Remaining header ("4.120000 USD project", "12000 tokens end_user_daily") as a sentence:
 * "$4.12 left of the project's monthly budget". Undefined without the header (no budget applies).
 */
export function budgetLeftText(header: string | null): string | undefined {
  const text = header?.trim();
  if (!text) return undefined;
  const m = /^(\d+(?:\.\d+)?) (USD|tokens) (\w+)$/.exec(text);
  if (!m) return `Budget left: ${text}`;
  const amount = Number(m[1]);
  const left = m[2] === "USD" ? formatUSD(amount) : `${formatCount(amount)} tokens`;
  return `${left} left of ${BUDGET_NAMES[m[3] ?? ""] ?? `the ${m[3]} budget`}`;
}
