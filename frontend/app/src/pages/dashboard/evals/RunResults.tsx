import type { EvalResult, EvalRunDetail } from "@chatbot-platform/sdk";
import { pairResults, runLabel } from "../../../lib/evals";

/** One case's status badge. */
function CaseStatus({ result }: { result: EvalResult }) {
  return <span className={`badge case-${result.status}`}>{result.status}</span>;
}

/** Each check of a result, passed or failed (with why), then the reply. */
function ResultBody({ result }: { result: EvalResult }) {
  return (
    <>
      {result.check_results.length > 0 && (
        <ul className="eval-checks">
          {result.check_results.map((c, i) => (
            <li key={i} className={c.passed ? "check-passed" : "check-failed"}>
              <span aria-hidden="true">{c.passed ? "✓" : "✗"}</span> {c.check} {c.expected}
              {c.passed ? <span className="sr-only"> passed</span> : <span className="muted"> failed: {c.detail}</span>}
            </li>
          ))}
        </ul>
      )}
      {result.status !== "pending" && <p className="eval-reply">{result.reply || <em className="muted">no reply</em>}</p>}
      {result.latency_ms != null && (
        <p className="muted small">
          {result.latency_ms} ms · {result.output_tokens ?? 0} output tokens
          {result.citations.length > 0 && ` · cites ${result.citations.map((c) => c.filename).join(", ")}`}
        </p>
      )}
    </>
  );
}

/** A run's results, one card per case. */
export function RunResults({ run }: { run: EvalRunDetail }) {
  return (
    <section className="eval-results" aria-label={`Results of run ${run.id}`}>
      <h3>
        {runLabel(run)}: {run.status}, {run.passed} passed, {run.failed} failed of {run.total}
      </h3>
      {run.error && <p className="muted">{run.error}</p>}
      <ol className="eval-result-list">
        {run.results.map((r) => (
          <li key={r.case_id} className="eval-result">
            <p>
              <CaseStatus result={r} /> <strong>{r.input}</strong>
            </p>
            <ResultBody result={r} />
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Two runs side by side per case, e.g. the draft against the published release. */
export function RunCompare({ left, right }: { left: EvalRunDetail; right: EvalRunDetail }) {
  return (
    <div className="table-scroll">
      <table className="keys-table eval-compare">
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">{runLabel(left)}</th>
            <th scope="col">{runLabel(right)}</th>
          </tr>
        </thead>
        <tbody>
          {pairResults(left.results, right.results).map((row) => (
            <tr key={row.caseId}>
              <th scope="row">{row.input}</th>
              {[row.a, row.b].map((r, i) => (
                <td key={i}>
                  {r ? (
                    <>
                      <CaseStatus result={r} />
                      <ResultBody result={r} />
                    </>
                  ) : (
                    <span className="muted">not in this run</span>
                  )}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
