import type { ChatMessage } from "@chatbot-platform/sdk";
import { describe, expect, it } from "vitest";
import { fromApi, replyFigures } from "./messages";

const message = (over: Partial<ChatMessage>): ChatMessage => ({
  id: 9,
  role: "assistant",
  content: "Hi",
  incomplete: false,
  citations: [],
  created_at: "2026-12-01T10:00:00Z",
  ...over,
});

describe("reply figures", () => {
  it("takes a stored reply's tokens and latency", () => {
    const m = fromApi(message({ input_tokens: 1234, output_tokens: 56, latency_ms: 1240 }));
    expect(m).toMatchObject({ key: "m9", id: 9, inputTokens: 1234, outputTokens: 56, latencyMs: 1240 });
    expect(replyFigures(m)).toBe("1,234 tokens in · 56 out · 1.2 s");
  });

  it("shows what is known, and nothing for a message without figures", () => {
    expect(replyFigures({ inputTokens: 12, outputTokens: 3 })).toBe("12 tokens in · 3 out");
    expect(replyFigures({ latencyMs: 850 })).toBe("850 ms");
    expect(replyFigures({ inputTokens: null, outputTokens: 4, latencyMs: null })).toBe("? tokens in · 4 out");
    expect(replyFigures(fromApi(message({ role: "user" })))).toBeUndefined();
  });
});
