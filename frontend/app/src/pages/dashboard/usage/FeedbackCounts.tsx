import type { FeedbackCount } from "@chatbot-platform/sdk";
import { formatCount } from "../../../lib/format";
import { releaseName, sortCounts, upShare } from "../../../lib/feedback";

/** Answers rated up and down in the range, per release (the draft's too), from the usage report. */
export function FeedbackCounts({ counts, projectId }: { counts: readonly FeedbackCount[] | undefined; projectId: number }) {
  return (
    <section className="card" aria-labelledby="usage-feedback-title">
      <h2 id="usage-feedback-title">Ratings by release</h2>
      {!counts && <p className="muted">Loading…</p>}
      {counts?.length === 0 && <p className="muted">No answer was rated in this range.</p>}
      {counts && counts.length > 0 && (
        <div className="table-scroll">
          <table className="usage-table" aria-labelledby="usage-feedback-title">
            <thead>
              <tr>
                <th scope="col">Release</th>
                <th scope="col">Rated up</th>
                <th scope="col">Rated down</th>
                <th scope="col">Up share</th>
              </tr>
            </thead>
            <tbody>
              {sortCounts(counts).map((c) => (
                <tr key={c.release ?? "draft"}>
                  <th scope="row">{releaseName(c.release)}</th>
                  <td data-label="Rated up">{formatCount(c.up)}</td>
                  <td data-label="Rated down">{formatCount(c.down)}</td>
                  <td data-label="Up share">{upShare(c)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small">
        Ratings made or changed in the range. <a href={`/dashboard?project=${projectId}&tab=feedback`}>See the rated answers</a>
      </p>
    </section>
  );
}
