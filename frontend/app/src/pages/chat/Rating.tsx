import { useState, type FormEvent } from "react";
import type { Feedback } from "@chatbot-platform/sdk";
import { api, errorMessage, unwrap } from "../../lib/api";

/** The longest comment the API takes (FeedbackInput.comment's maxLength in api/openapi.yaml). */
export const MAX_COMMENT = 2000;

interface RatingProps {
  conversationId: number;
  messageId: number;
  /** The stored rating, when the conversation was loaded with one. */
  initial?: Feedback | null;
}

type Rating = Feedback["rating"];

// Material's thumb_up (24x24); thumb down is the same, flipped.
const THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

/** A thumb up or down, drawn (no emoji font needed); its meaning is the label of the button around it. */
export function ThumbIcon({ rating }: { rating: Rating }) {
  return (
    <svg className={`thumb-icon${rating === "down" ? " thumb-down" : ""}`} viewBox="0 0 24 24" aria-hidden="true">
      <path d={THUMB} />
    </svg>
  );
}

/**
 * Thumbs up and down under an answer, pressed as stored; pressing the pressed one clears the rating. Once
 * rated, a comment can be added or changed (it is sent with the rating).
 */
export function RatingButtons({ conversationId, messageId, initial }: RatingProps) {
  const [feedback, setFeedback] = useState<Feedback | null>(initial ?? null);
  const [editing, setEditing] = useState(false);
  const [comment, setComment] = useState(initial?.comment ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const path = { conversation_id: conversationId, message_id: messageId };

  async function run(call: () => Promise<Feedback | null>) {
    setBusy(true);
    setError(undefined);
    try {
      setFeedback(await call());
      setEditing(false);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  const rate = (rating: Rating, text: string) =>
    run(() =>
      unwrap(
        api.client.PUT("/conversations/{conversation_id}/messages/{message_id}/feedback", {
          params: { path },
          body: text ? { rating, comment: text } : { rating },
        }),
      ),
    );

  const clear = () =>
    run(async () => {
      await unwrap(api.client.DELETE("/conversations/{conversation_id}/messages/{message_id}/feedback", { params: { path } }));
      setComment("");
      return null;
    });

  const thumb = (rating: Rating, label: string) => {
    const pressed = feedback?.rating === rating;
    return (
      <button
        type="button"
        className="button small ghost rating-button"
        aria-pressed={pressed}
        aria-label={label}
        title={pressed ? `${label} (press again to clear)` : label}
        disabled={busy}
        onClick={() => void (pressed ? clear() : rate(rating, comment.trim()))}
      >
        <ThumbIcon rating={rating} />
      </button>
    );
  };

  function save(e: FormEvent) {
    e.preventDefault();
    if (feedback) void rate(feedback.rating, comment.trim());
  }

  return (
    <div className="rating" role="group" aria-label="Rate this answer">
      {thumb("up", "Good answer")}
      {thumb("down", "Bad answer")}
      {feedback && !editing && (
        <>
          {feedback.comment && <span className="rating-comment muted small">“{feedback.comment}”</span>}
          <button type="button" className="button small ghost copy-button" onClick={() => setEditing(true)}>
            {feedback.comment ? "Edit comment" : "Add a comment"}
          </button>
        </>
      )}
      {editing && (
        <form className="inline-form rating-form" onSubmit={save}>
          <label className="sr-only" htmlFor={`rating-comment-${messageId}`}>
            Comment on this answer
          </label>
          <input
            id={`rating-comment-${messageId}`}
            maxLength={MAX_COMMENT}
            value={comment}
            autoFocus
            placeholder="What was good or wrong?"
            onChange={(e) => setComment(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
          />
          <button type="submit" className="button small primary" disabled={busy}>
            Save
          </button>
          <button type="button" className="button small" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      )}
      <span className="sr-only" role="status">
        {feedback ? `Rated ${feedback.rating === "up" ? "good" : "bad"}.` : ""}
      </span>
      {error && (
        <span className="rating-error small" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
