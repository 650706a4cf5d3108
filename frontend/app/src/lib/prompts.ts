import type { Prompt } from "@chatbot-platform/sdk";

/** Prompts in system-prompt order: ascending position, ties by id (as the server orders them). */
export function sortPrompts(prompts: readonly Prompt[]): Prompt[] {
  return [...prompts].sort((a, b) => a.position - b.position || a.id - b.id);
}

/** The system prompt the server composes: the enabled prompts' contents joined with "\n", in order. */
export function composeSystemPrompt(prompts: readonly Prompt[]): string {
  return sortPrompts(prompts)
    .filter((p) => p.enabled)
    .map((p) => p.content)
    .join("\n");
}

/** Returns the list with the item at `from` moved to `to` (both clamped to the list). */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const out = [...items];
  const target = Math.max(0, Math.min(out.length - 1, to));
  const [item] = out.splice(from, 1);
  if (item !== undefined) out.splice(target, 0, item);
  return out;
}

/**
 * The position updates that make `ordered` the server's order: each prompt gets its index as position, and
 * only prompts whose position changes are listed, so a swap of two neighbours costs two requests.
 */
export function positionChanges(ordered: readonly Prompt[]): { prompt: Prompt; position: number }[] {
  return ordered.flatMap((prompt, index) => (prompt.position === index ? [] : [{ prompt, position: index }]));
}
