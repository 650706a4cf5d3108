import { useCallback, useEffect, useRef, useState } from "react";
import type { Conversation, Project } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { AppHeader } from "../../components/AppHeader";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { PAGE_MAX, api, errorMessage, unwrap } from "../../lib/api";
import { readIdParam, writeParams } from "../../lib/url";
import { Composer } from "./Composer";
import { ConversationFilters, NO_FILTERS, filterQuery, type Filters } from "./ConversationFilters";
import { ConversationList } from "./ConversationList";
import { fromApi } from "./messages";
import { MessageList } from "./MessageList";
import { useChatStream } from "./useChatStream";

/** The chat page: pick a project, pick or start a conversation, and talk to the bot with streamed replies. */
export function ChatPage() {
  const [projects, setProjects] = useState<Project[]>();
  const [projectId, setProjectId] = useState<number | undefined>(() => readIdParam("project"));
  const [conversations, setConversations] = useState<Conversation[]>();
  const [conversationId, setConversationId] = useState<number | undefined>(() => readIdParam("conversation"));
  const [error, setError] = useState<string>();
  const [deleting, setDeleting] = useState<Conversation>();
  const [loadingConversation, setLoadingConversation] = useState(false);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const composerRef = useRef<HTMLTextAreaElement>(null);
  const listRequest = useRef(0);

  const loadConversations = useCallback((pid: number) => {
    // Only the latest request may set the list: filters can change faster than the server answers.
    const request = ++listRequest.current;
    const query = { ...filterQuery(filtersRef.current), limit: PAGE_MAX };
    unwrap(api.client.GET("/projects/{project_id}/conversations", { params: { path: { project_id: pid }, query } }))
      .then((list) => request === listRequest.current && setConversations(list))
      .catch((err) => request === listRequest.current && setError(errorMessage(err)));
  }, []);

  const chat = useChatStream({
    onConversation: (id) => {
      setConversationId(id);
      writeParams({ conversation: id });
    },
    onSettled: () => projectId && loadConversations(projectId),
  });

  useEffect(() => {
    unwrap(api.client.GET("/projects"))
      .then((list) => {
        setProjects(list);
        setProjectId((id) => (list.some((p) => p.id === id) ? id : list[0]?.id));
      })
      .catch((err) => setError(errorMessage(err)));
  }, []);

  useEffect(() => {
    if (projectId === undefined) return;
    writeParams({ project: projectId });
    setConversations(undefined);
    loadConversations(projectId);
  }, [projectId, filters, loadConversations]);

  const openConversation = useCallback(
    async (id: number | undefined) => {
      setConversationId(id);
      writeParams({ conversation: id });
      setError(undefined);
      if (id === undefined) {
        chat.reset([]);
        composerRef.current?.focus();
        return;
      }
      setLoadingConversation(true);
      try {
        const detail = await unwrap(
          api.client.GET("/conversations/{conversation_id}", { params: { path: { conversation_id: id }, query: { limit: PAGE_MAX } } }),
        );
        chat.reset(detail.messages.map(fromApi));
      } catch (err) {
        setError(errorMessage(err));
      }
      setLoadingConversation(false);
    },
    [chat.reset],
  );

  // Reopen the conversation named in the URL once, after a reload.
  const restored = useRef(false);
  useEffect(() => {
    if (restored.current || projects === undefined) return;
    restored.current = true;
    if (conversationId !== undefined) void openConversation(conversationId);
  }, [projects, conversationId, openConversation]);

  async function removeConversation(conversation: Conversation) {
    try {
      await unwrap(
        api.client.DELETE("/conversations/{conversation_id}", { params: { path: { conversation_id: conversation.id } } }),
      );
      setConversations((list) => list?.filter((c) => c.id !== conversation.id));
      if (conversation.id === conversationId) void openConversation(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
    setDeleting(undefined);
  }

  const project = projects?.find((p) => p.id === projectId);

  return (
    <>
      <AppHeader current="chat" />
      <main className="chat-layout" id="main">
        <aside className="chat-sidebar" aria-label="Conversations">
          <div className="field">
            <label htmlFor="project-picker">Project</label>
            <select
              id="project-picker"
              value={projectId ?? ""}
              disabled={!projects?.length}
              onChange={(e) => {
                setProjectId(Number(e.target.value));
                setFilters(NO_FILTERS);
                void openConversation(undefined);
              }}
            >
              {projects?.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <button
            type="button"
            className="button primary block"
            disabled={!project}
            onClick={() => void openConversation(undefined)}
          >
            New conversation
          </button>
          <h2 className="sidebar-title">Conversations</h2>
          {projectId !== undefined && (
            <ConversationFilters
              key={projectId}
              projectId={projectId}
              filters={filters}
              onChange={setFilters}
              keyedConversations={conversations?.some((c) => c.key_id !== null || c.end_user !== null) ?? false}
            />
          )}
          <ConversationList
            conversations={conversations}
            selectedId={conversationId}
            onOpen={(id) => void openConversation(id)}
            onDelete={setDeleting}
            emptyText={
              Object.keys(filterQuery(filters)).length === 0 ? "No conversations yet." : "No conversation matches these filters."
            }
          />
        </aside>

        <section className="chat-main" aria-label={project ? `Chat with ${project.name}` : "Chat"}>
          {error && <Alert onRetry={() => window.location.reload()}>{error}</Alert>}
          {projects?.length === 0 && (
            <div className="empty-state">
              <h1>No projects yet</h1>
              <p className="muted">
                Create a project on the <a href="/dashboard">dashboard</a> first, then come back to chat with it.
              </p>
            </div>
          )}
          {project && (
            <>
              <MessageList
                messages={chat.messages}
                loading={loadingConversation}
                projectName={project.name}
                usageHref={`/dashboard?project=${project.id}&tab=usage`}
                onRetry={(key) => chat.retry(key, { projectId: project.id, conversationId })}
              />
              <Composer
                ref={composerRef}
                projectName={project.name}
                streaming={chat.streaming}
                onSend={(text) => void chat.send({ projectId: project.id, conversationId, text })}
                onStop={chat.stop}
              />
            </>
          )}
        </section>
      </main>
      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete this conversation?"
        confirmLabel="Delete conversation"
        onConfirm={() => deleting && void removeConversation(deleting)}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          <strong>{deleting?.title || "Untitled conversation"}</strong> and its messages will be deleted.
        </p>
      </ConfirmDialog>
    </>
  );
}
