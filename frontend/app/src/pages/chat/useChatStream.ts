import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, PAGE_MAX, api, errorMessage, isAbortError, unwrap } from "../../lib/api";
import { budgetLeftText, type UiMessage } from "./messages";

/** Which state of the bot answers the owner: the draft they edit, or the release their visitors get. */
export type ChatTarget = "draft" | "published";

interface SendArgs {
  projectId: number;
  conversationId: number | undefined;
  text: string;
  target: ChatTarget;
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

  const send = useCallback(async ({ projectId, conversationId, text, target }: SendArgs) => {
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
    let finished: { conversationId: number; messageId: number } | undefined;
    try {
      const body = {
        project_id: projectId,
        message: text,
        release: target,
        ...(conversationId ? { conversation_id: conversationId } : {}),
      };
      const onHeaders = (headers: Headers) => {
        const budgetLeft = budgetLeftText(headers.get("X-Budget-Remaining"));
        if (budgetLeft) update({ budgetLeft });
      };
      for await (const ev of api.chatStream(body, { signal: abort.signal, onHeaders })) {
        if (ev.event === "start") handlers.current.onConversation(ev.data.conversation_id);
        else if (ev.event === "delta") update((m) => ({ content: m.content + ev.data.text }));
        else if (ev.event === "done") {
          const { usage } = ev.data;
          update({
            content: ev.data.reply,
            citations: ev.data.citations,
            state: "done",
            id: ev.data.message_id,
            model: ev.data.model,
            inputTokens: usage.input_tokens,
            outputTokens: usage.output_tokens,
            release: ev.data.release,
          });
          finished = { conversationId: ev.data.conversation_id, messageId: ev.data.message_id };
        } else update({ state: "failed", error: ev.data.detail, errorStatus: ev.data.status });
      }
    } catch (err) {
      // A spent budget is a 429 before the stream starts; its detail names the budget and when it resets.
      update(
        isAbortError(err)
          ? { state: "stopped" }
          : { state: "failed", error: errorMessage(err), errorStatus: err instanceof ApiError ? err.status : undefined },
      );
    } finally {
      if (controller.current === abort) controller.current = null;
      setStreaming(false);
      handlers.current.onSettled();
    }
    // The done event has the reply's tokens but not how long it took: the stored message has both.
    if (finished) {
      const { conversationId: cid, messageId } = finished;
      unwrap(api.client.GET("/conversations/{conversation_id}", { params: { path: { conversation_id: cid }, query: { limit: PAGE_MAX } } }))
        .then((detail) => {
          const stored = detail.messages.find((m) => m.id === messageId);
          if (!stored) return;
          update({
            model: stored.model ?? null,
            inputTokens: stored.input_tokens ?? null,
            outputTokens: stored.output_tokens ?? null,
            latencyMs: stored.latency_ms ?? null,
          });
        })
        .catch(() => {
          // Only the small print waits for this; the reply itself is shown already.
        });
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

  /**
   * Asks the question of a reply again, as a new turn: the earlier question and reply stay, as they are stored
   * (the API has no way to replace a reply).
   */
  const regenerate = useCallback(
    (replyKey: string, args: Omit<SendArgs, "text">) => {
      const list = current.current;
      const index = list.findIndex((m) => m.key === replyKey);
      const question = list[index - 1];
      if (index < 1 || question?.role !== "user") return;
      void send({ ...args, text: question.content });
    },
    [send],
  );

  return { messages, streaming, send, stop, reset, retry, regenerate };
}
