import { useCallback, useEffect, useState } from "react";
import type { Project, RatedMessage } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { ApiError, api, errorMessage } from "../../lib/api";
import { releaseName } from "../../lib/feedback";
import { formatDateTime } from "../../lib/format";
import { endUserLabel } from "../../lib/keys";
import { ThumbIcon } from "../chat/Rating";
import { MakeCase } from "./MakeCase";

type Filter = "all" | "up" | "down";

const FILTERS: readonly { id: Filter; label: string }[] = [
  { id: "all", label: "All" },
  { id: "up", label: "Up" },
  { id: "down", label: "Down" },
];

const PAGE = 50;

/** The project's rated answers, newest rating first, with the question, the answer, the comment and the release. */
export function FeedbackPanel({ project }: { project: Project }) {
  const [filter, setFilter] = useState<Filter>("all");
  const [items, setItems] = useState<RatedMessage[]>();
  const [cursor, setCursor] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();

  const load = useCallback(
    async (after: string | undefined) => {
      setLoading(true);
      setError(undefined);
      try {
        const { data, error, response } = await api.client.GET("/projects/{project_id}/feedback", {
          params: {
            path: { project_id: project.id },
            query: { limit: PAGE, ...(filter === "all" ? {} : { rating: filter }), ...(after ? { cursor: after } : {}) },
          },
        });
        if (!response.ok || !data) throw ApiError.fromBody(response.status, error, response.statusText);
        setItems((old) => (after ? [...(old ?? []), ...data] : data));
        setCursor(response.headers.get("X-Next-Cursor") ?? undefined);
      } catch (err) {
        setError(errorMessage(err));
      }
      setLoading(false);
    },
    [project.id, filter],
  );

  useEffect(() => {
    setItems(undefined);
    void load(undefined);
  }, [load]);

  return (
    <section className="card feedback-panel" aria-labelledby="feedback-title" aria-busy={loading}>
      <div className="feedback-head">
        <h2 id="feedback-title">Feedback</h2>
        <div className="segmented" role="group" aria-label="Show ratings">
          {FILTERS.map((f) => (
            <button key={f.id} type="button" aria-pressed={f.id === filter} onClick={() => setFilter(f.id)}>
              {f.id !== "all" && <ThumbIcon rating={f.id} />} {f.label}
            </button>
          ))}
        </div>
      </div>
      {error && <Alert onRetry={() => void load(undefined)}>{error}</Alert>}
      {!items && !error && <p className="muted">Loading…</p>}
      {items?.length === 0 && (
        <p className="muted">
          {filter === "all"
            ? "No answer has been rated yet. Rate answers with the thumbs under them in the chat; visitors rate them in the widget."
            : `No answer is rated ${filter}.`}
        </p>
      )}
      {items && items.length > 0 && (
        <ol className="feedback-list">
          {items.map((f) => (
            <li key={f.message_id} className={`feedback-item rated-${f.rating}`}>
              <div className="feedback-meta small">
                <span className="feedback-rating" role="img" aria-label={f.rating === "up" ? "Rated up" : "Rated down"}>
                  <ThumbIcon rating={f.rating} />
                </span>
                <span>{releaseName(f.release)}</span>
                {f.end_user && <span className="muted">{endUserLabel(f.end_user)}</span>}
                <span className="muted">{formatDateTime(f.updated_at)}</span>
                <a href={`/chat?project=${project.id}&conversation=${f.conversation_id}`}>Open conversation</a>
              </div>
              <p className="feedback-question">
                <span className="sr-only">Question: </span>
                {f.question ?? <span className="muted">(no question)</span>}
              </p>
              <p className="feedback-answer">
                <span className="sr-only">Answer: </span>
                {f.answer}
              </p>
              {f.comment && <p className="feedback-comment">“{f.comment}”</p>}
              <MakeCase projectId={project.id} messageId={f.message_id} />
            </li>
          ))}
        </ol>
      )}
      {cursor && (
        <button type="button" className="button" disabled={loading} onClick={() => void load(cursor)}>
          {loading ? "Loading…" : "Show more"}
        </button>
      )}
    </section>
  );
}
