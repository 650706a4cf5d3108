import type { Prompt } from "@chatbot-platform/sdk";
import { describe, expect, it } from "vitest";
import { composeSystemPrompt, moveItem, positionChanges, sortPrompts } from "./prompts";

const prompt = (id: number, position: number, content: string, enabled = true): Prompt => ({
  id,
  project_id: 1,
  name: `p${id}`,
  content,
  position,
  enabled,
  created_at: "",
  updated_at: "",
});

describe("composeSystemPrompt", () => {
  it("joins enabled prompts with a newline in position order, ties by id", () => {
    const prompts = [prompt(3, 2, "C"), prompt(1, 1, "A"), prompt(4, 1, "B"), prompt(2, 0, "skip", false)];
    expect(composeSystemPrompt(prompts)).toBe("A\nB\nC");
  });

  it("is empty when no prompt is enabled", () => {
    expect(composeSystemPrompt([prompt(1, 0, "x", false)])).toBe("");
  });
});

describe("reordering", () => {
  it("moves an item and clamps the target", () => {
    expect(moveItem(["a", "b", "c"], 2, 1)).toEqual(["a", "c", "b"]);
    expect(moveItem(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
    expect(moveItem(["a", "b", "c"], 0, 9)).toEqual(["b", "c", "a"]);
  });

  it("renumbers only the prompts whose position changes", () => {
    const [a, b] = sortPrompts([prompt(1, 0, "A"), prompt(2, 1, "B")]);
    const changes = positionChanges(moveItem([a!, b!], 1, 0));
    expect(changes.map((c) => [c.prompt.id, c.position])).toEqual([
      [2, 0],
      [1, 1],
    ]);
  });

  it("normalises tied or sparse positions", () => {
    const ordered = sortPrompts([prompt(1, 5, "A"), prompt(2, 5, "B"), prompt(3, 0, "C")]);
    expect(positionChanges(ordered).map((c) => [c.prompt.id, c.position])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });
});
