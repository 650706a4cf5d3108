import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorMessage, isAbortError } from "../../lib/api";
import type { UiMessage } from "./messages";

interface SendArgs {
  projectId: number;
  conversationId: number | undefined;
  text: string;
}

interface Handlers {
  /** The server started a new conversation (or confirmed the current one). */
  onConversation: (id: number) => void;
  /** The exchange ended, however it ended: time to refresh the conversation list. */
  onSettled: () => void;
}

let nextKey = 0;
const localKey = () => `local-${++nextKey}`;

/** The messages of the open conversation and the streaming of new replies into it. */
export function useChatStream({ onConversation, onSettled }: Handlers) {
  const [messages, setMessages] = useState<UiMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const handlers = useRef({ onConversation, onSettled });
  handlers.current = { onConversation, onSettled };

  const stop = useCallback(() => controller.current?.abort(), []);
  useEffect(() => stop, [stop]);

  /** Replaces the shown messages (switching conversation), stopping a reply in progress. */
  const reset = useCallback(
    (next: UiMessage[]) => {
      stop();
      setMessages(next);
    },
    [stop],
  );

  const send = useCallback(async ({ projectId, conversationId, text }: SendArgs) => {
    const replyKey = localKey();
    const update = (change: Partial<UiMessage> | ((m: UiMessage) => Partial<UiMessage>)) =>
      setMessages((list) =>
        list.map((m) => (m.key === replyKey ? { ...m, ...(typeof change === "function" ? change(m) : change) } : m)),
      );

    setMessages((list) => [
      ...list,
      { key: localKey(), role: "user", content: text, citations: [], state: "done" },
      { key: replyKey, role: "assistant", content: "", citations: [], state: "streaming" },
    ]);
    const abort = new AbortController();
    controller.current = abort;
    setStreaming(true);
    try {
      const body = { project_id: projectId, message: text, ...(conversationId ? { conversation_id: conversationId } : {}) };
      for await (const ev of api.chatStream(body, { signal: abort.signal })) {
        if (ev.event === "start") handlers.current.onConversation(ev.data.conversation_id);
        else if (ev.event === "delta") update((m) => ({ content: m.content + ev.data.text }));
        else if (ev.event === "done") update({ content: ev.data.reply, citations: ev.data.citations, state: "done" });
        else update({ state: "failed", error: ev.data.detail });
      }
    } catch (err) {
      update(isAbortError(err) ? { state: "stopped" } : { state: "failed", error: errorMessage(err) });
    } finally {
      if (controller.current === abort) controller.current = null;
      setStreaming(false);
      handlers.current.onSettled();
    }
  }, []);

  const current = useRef(messages);
  current.current = messages;

  /** Sends a failed exchange's question again, replacing the question and its failed reply. */
  const retry = useCallback(
    (replyKey: string, args: Omit<SendArgs, "text">) => {
      const list = current.current;
      const index = list.findIndex((m) => m.key === replyKey);
      const question = list[index - 1];
      if (index < 1 || question?.role !== "user") return;
      setMessages((all) => all.filter((m) => m.key !== replyKey && m.key !== question.key));
      void send({ ...args, text: question.content });
    },
    [send],
  );

  return { messages, streaming, send, stop, reset, retry };
}
