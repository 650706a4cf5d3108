import type { ChatMessage } from "@chatbot-platform/sdk";
import { describe, expect, it } from "vitest";
import { budgetLeftText, fromApi, replyFigures } from "./messages";

const message = (over: Partial<ChatMessage>): ChatMessage => ({
  id: 9,
  role: "assistant",
  content: "Hi",
  incomplete: false,
  citations: [],
  release: null,
  created_at: "2026-12-01T10:00:00Z",
  ...over,
});

describe("reply figures", () => {
  it("takes a stored reply's tokens and latency", () => {
    const m = fromApi(message({ model: "gpt-4o-mini", input_tokens: 1234, output_tokens: 56, latency_ms: 1240 }));
    expect(m).toMatchObject({ key: "m9", id: 9, model: "gpt-4o-mini", inputTokens: 1234, outputTokens: 56, latencyMs: 1240 });
    expect(replyFigures(m)).toBe("gpt-4o-mini · 1,234 tokens in · 56 out · 1.2 s");
  });

  it("shows what is known, and nothing for a message without figures", () => {
    expect(replyFigures({ inputTokens: 12, outputTokens: 3 })).toBe("12 tokens in · 3 out");
    expect(replyFigures({ latencyMs: 850 })).toBe("850 ms");
    expect(replyFigures({ model: "gpt-4o", latencyMs: null })).toBe("gpt-4o");
    expect(replyFigures({ inputTokens: null, outputTokens: 4, latencyMs: null })).toBe("? tokens in · 4 out");
    expect(replyFigures(fromApi(message({ role: "user" })))).toBeUndefined();
  });
});

describe("budgetLeftText", () => {
  it("reads X-Budget-Remaining for people", () => {
    expect(budgetLeftText("4.120000 USD project")).toBe("$4.12 left of the project's monthly budget");
    expect(budgetLeftText("0.000400 USD key")).toBe("$0.0004 left of the key's monthly budget");
    expect(budgetLeftText("12000 tokens end_user_daily")).toBe("12,000 tokens left of the end user's daily budget");
    expect(budgetLeftText("5 tokens end_user_monthly")).toBe("5 tokens left of the end user's monthly budget");
  });

  it("says nothing without the header, and shows an unknown shape as it came", () => {
    expect(budgetLeftText(null)).toBeUndefined();
    expect(budgetLeftText("")).toBeUndefined();
    expect(budgetLeftText("plenty")).toBe("Budget left: plenty");
  });
});
