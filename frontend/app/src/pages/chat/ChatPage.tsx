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
import { useChatStream, type ChatTarget } from "./useChatStream";

/** What failed to load: a successful load of the same thing clears it, and Retry loads it again in place. */
type PageError = { source: "projects" | "conversations" | "conversation"; message: string };

const TYPING_PAUSE_MS = 300;

/** The chat page: pick a project, pick or start a conversation, and talk to the bot with streamed replies. */
export function ChatPage() {
  const [projects, setProjects] = useState<Project[]>();
  const [projectId, setProjectId] = useState<number | undefined>(() => readIdParam("project"));
  // The owner tries the draft they edit; "published" answers as keys and the widget do.
  const [target, setTarget] = useState<ChatTarget>("draft");
  const [conversations, setConversations] = useState<Conversation[]>();
  const [conversationId, setConversationId] = useState<number | undefined>(() => readIdParam("conversation"));
  const [error, setError] = useState<PageError>();
  const fail = (source: PageError["source"], err: unknown) => setError({ source, message: errorMessage(err) });
  const recovered = (source: PageError["source"]) => setError((e) => (e?.source === source ? undefined : e));
  const [deleting, setDeleting] = useState<Conversation>();
  const [loadingConversation, setLoadingConversation] = useState(false);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [search, setSearch] = useState("");
  // The search the list was asked for: the typed one once typing pauses (the server searches titles and messages).
  const [query, setQuery] = useState("");
  const queryRef = useRef(query);
  queryRef.current = query;
  // Phones: the conversations are a drawer above the messages, closed unless asked for.
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [draft, setDraft] = useState<{ text: string }>();
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const composerRef = useRef<HTMLTextAreaElement>(null);
  const listRequest = useRef(0);

  const loadConversations = useCallback((pid: number) => {
    // Only the latest request may set the list: filters can change faster than the server answers.
    const request = ++listRequest.current;
    const q = queryRef.current;
    const query = { ...filterQuery(filtersRef.current), ...(q ? { q } : {}), limit: PAGE_MAX };
    unwrap(api.client.GET("/projects/{project_id}/conversations", { params: { path: { project_id: pid }, query } }))
      .then((list) => {
        if (request !== listRequest.current) return;
        setConversations(list);
        setError((e) => (e?.source === "conversations" ? undefined : e));
      })
      .catch((err) => request === listRequest.current && setError({ source: "conversations", message: errorMessage(err) }));
  }, []);

  const chat = useChatStream({
    onConversation: (id) => {
      setConversationId(id);
      writeParams({ conversation: id });
    },
    onSettled: () => projectId && loadConversations(projectId),
  });

  const loadProjects = useCallback(() => {
    unwrap(api.client.GET("/projects"))
      .then((list) => {
        setProjects(list);
        setProjectId((id) => (list.some((p) => p.id === id) ? id : list[0]?.id));
        setError((e) => (e?.source === "projects" ? undefined : e));
      })
      .catch((err) => setError({ source: "projects", message: errorMessage(err) }));
  }, []);
  useEffect(loadProjects, [loadProjects]);

  useEffect(() => {
    if (projectId === undefined) return;
    writeParams({ project: projectId });
    setConversations(undefined);
    loadConversations(projectId);
  }, [projectId, filters, query, loadConversations]);

  useEffect(() => {
    const next = search.trim();
    if (next === query) return;
    const timer = window.setTimeout(() => setQuery(next), TYPING_PAUSE_MS);
    return () => window.clearTimeout(timer);
  }, [search, query]);

  const openConversation = useCallback(
    async (id: number | undefined) => {
      setDrawerOpen(false);
      setConversationId(id);
      writeParams({ conversation: id });
      recovered("conversation");
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
        fail("conversation", err);
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

  async function renameConversation(conversation: Conversation, title: string) {
    try {
      const updated = await unwrap(
        api.client.PATCH("/conversations/{conversation_id}", {
          params: { path: { conversation_id: conversation.id } },
          body: { title },
        }),
      );
      setConversations((list) => list?.map((c) => (c.id === updated.id ? updated : c)));
      recovered("conversations");
    } catch (err) {
      fail("conversations", err);
      throw err;
    }
  }

  async function removeConversation(conversation: Conversation) {
    try {
      await unwrap(
        api.client.DELETE("/conversations/{conversation_id}", { params: { path: { conversation_id: conversation.id } } }),
      );
      setConversations((list) => list?.filter((c) => c.id !== conversation.id));
      if (conversation.id === conversationId) void openConversation(undefined);
    } catch (err) {
      fail("conversations", err);
    }
    setDeleting(undefined);
  }

  const project = projects?.find((p) => p.id === projectId);
  const open = conversations?.find((c) => c.id === conversationId);
  const heading = !project
    ? "Chat"
    : conversationId === undefined
      ? "New conversation"
      : open
        ? open.title || "Untitled conversation"
        : (chat.messages.find((m) => m.role === "user")?.content.slice(0, 80) ?? "Conversation");

  useEffect(() => {
    document.title = `${heading} · Chatbot Platform`;
  }, [heading]);

  function retryPageError() {
    if (error?.source === "projects") loadProjects();
    else if (error?.source === "conversations" && projectId !== undefined) loadConversations(projectId);
    else if (error?.source === "conversation") void openConversation(conversationId);
  }

  return (
    <>
      <AppHeader current="chat" />
      <main className="chat-layout" id="main">
        <aside className="chat-sidebar" id="chat-sidebar" aria-label="Conversations" data-open={drawerOpen}>
          <div className="field">
            <label htmlFor="project-picker">Project</label>
            <select
              id="project-picker"
              value={projectId ?? ""}
              disabled={!projects?.length}
              onChange={(e) => {
                setProjectId(Number(e.target.value));
                setFilters(NO_FILTERS);
                setSearch("");
                setQuery("");
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
          {conversations !== undefined && (conversations.length > 0 || search !== "") && (
            <div className="field conversation-search" role="search" aria-label="Search conversations">
              <label htmlFor="conversation-search" className="sr-only">
                Search conversations
              </label>
              <input
                id="conversation-search"
                type="search"
                placeholder="Search titles and messages"
                autoComplete="off"
                maxLength={200}
                value={search}
                onChange={(e) => setSearch(e.target.value)}
              />
            </div>
          )}
          {projects?.length === 0 ? (
            <p className="muted small">
              No chatbots yet. <a href="/dashboard">Create a chatbot</a>
            </p>
          ) : projectId === undefined ? (
            !error && <p className="muted small">Loading…</p>
          ) : (
            <ConversationList
              conversations={conversations}
              selectedId={conversationId}
              onOpen={(id) => void openConversation(id)}
              onDelete={setDeleting}
              onRename={renameConversation}
              emptyText={
                query !== ""
                  ? "No conversation matches this search."
                  : Object.keys(filterQuery(filters)).length === 0
                    ? "No conversations yet."
                    : "No conversation matches these filters."
              }
            />
          )}
        </aside>

        <section className="chat-main" aria-label={project ? `Chat with ${project.name}` : "Chat"}>
          {project && (
            <div className="chat-head">
              <button
                type="button"
                className="button small drawer-toggle"
                aria-expanded={drawerOpen}
                aria-controls="chat-sidebar"
                onClick={() => setDrawerOpen((v) => !v)}
              >
                Conversations
              </button>
              <div className="chat-head-text">
                <h1 title={heading}>{heading}</h1>
                <span className="chat-project muted small">{project.name}</span>
              </div>
              <fieldset className="segmented" aria-label="Which state answers">
                <legend className="sr-only">Which state answers</legend>
                {(["draft", "published"] as const).map((t) => (
                  <label key={t} className={target === t ? "selected" : undefined}>
                    <input type="radio" name="chat-target" value={t} checked={target === t} onChange={() => setTarget(t)} />
                    {t === "draft" ? "Draft" : "Published"}
                  </label>
                ))}
              </fieldset>
            </div>
          )}
          {error && <Alert onRetry={retryPageError}>{error.message}</Alert>}
          {projects?.length === 0 && (
            <div className="empty-state">
              <h1>No chatbots yet</h1>
              <p className="muted">
                A chatbot is a project: its prompts shape how it answers, its files give it knowledge. Make one on the
                dashboard, then come back to chat with it.
              </p>
              <a className="button primary" href="/dashboard">
                Create your first chatbot
              </a>
            </div>
          )}
          {project && (
            <>
              <MessageList
                messages={chat.messages}
                loading={loadingConversation}
                projectName={project.name}
                usageHref={`/dashboard?project=${project.id}&tab=usage`}
                onRetry={(key) => chat.retry(key, { projectId: project.id, conversationId, target })}
                onRegenerate={
                  chat.streaming ? undefined : (key) => chat.regenerate(key, { projectId: project.id, conversationId, target })
                }
                onEdit={
                  chat.streaming
                    ? undefined
                    : (text) => {
                        setDraft({ text });
                        composerRef.current?.focus();
                      }
                }
              />
              <Composer
                ref={composerRef}
                projectName={project.name}
                streaming={chat.streaming}
                onSend={(text) => void chat.send({ projectId: project.id, conversationId, text, target })}
                onStop={chat.stop}
                draft={draft}
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
