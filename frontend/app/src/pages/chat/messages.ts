import type { ChatMessage, Citation } from "@chatbot-platform/sdk";

/** A message as the chat page shows it, including replies still streaming or that failed. */
export interface UiMessage {
  key: string;
  role: "user" | "assistant";
  content: string;
  citations: Citation[];
  /** streaming: arriving; stopped: the reader pressed Stop; failed: see error; incomplete: cut off earlier. */
  state: "done" | "streaming" | "stopped" | "failed" | "incomplete";
  error?: string;
}

export function fromApi(message: ChatMessage): UiMessage {
  return {
    key: `m${message.id}`,
    role: message.role,
    content: message.content,
    citations: message.citations,
    state: message.incomplete ? "incomplete" : "done",
  };
}
