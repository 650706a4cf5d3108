import { useRef, useState } from "react";
import type { Project } from "@chatbot-platform/sdk";
import { Composer } from "../chat/Composer";
import { MessageList } from "../chat/MessageList";
import { useChatStream } from "../chat/useChatStream";

/**
 * "Try it" beside the prompts: chat with the bot as its prompts and settings stand now, so they can be tuned
 * without leaving the page (each message reads them afresh). Its own chunk: the Markdown and chat code load
 * when the reader asks for the panel. What is said here is saved like any chat, among the project's
 * conversations.
 */
export default function TryPanel({ project, onClose }: { project: Project; onClose: () => void }) {
  const [conversationId, setConversationId] = useState<number>();
  const composerRef = useRef<HTMLTextAreaElement>(null);
  const chat = useChatStream({ onConversation: setConversationId, onSettled: () => {} });

  return (
    <section className="card try-panel" aria-labelledby="try-title">
      <div className="try-head">
        <h2 id="try-title">Try it</h2>
        <button
          type="button"
          className="button small"
          onClick={() => {
            chat.reset([]);
            setConversationId(undefined);
            composerRef.current?.focus();
          }}
        >
          Start over
        </button>
        <button type="button" className="button small ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted small">
        Each message uses the prompts as they are now: edit one, then ask again. These chats are saved with the
        project&apos;s conversations (<a href={`/chat?project=${project.id}`}>open the chat page</a>).
      </p>
      <MessageList
        messages={chat.messages}
        loading={false}
        projectName={project.name}
        usageHref={`/dashboard?project=${project.id}&tab=usage`}
        onRetry={(key) => chat.retry(key, { projectId: project.id, conversationId, target: "draft" })}
      />
      <Composer
        ref={composerRef}
        projectName={project.name}
        streaming={chat.streaming}
        onSend={(text) => void chat.send({ projectId: project.id, conversationId, text, target: "draft" })}
        onStop={chat.stop}
      />
    </section>
  );
}
