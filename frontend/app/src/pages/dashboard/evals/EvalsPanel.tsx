import { useCallback, useEffect, useState } from "react";
import type { EvalCase, EvalRun, EvalRunDetail, Project } from "@chatbot-platform/sdk";
import { Alert } from "../../../components/Alert";
import { api, errorMessage, unwrap } from "../../../lib/api";
import { describeChecks, runActive, runLabel } from "../../../lib/evals";
import { formatDateTime } from "../../../lib/format";
import { CaseForm } from "./CaseForm";
import { RunCompare, RunResults } from "./RunResults";
import "./evals.css";

/** How often the panel looks again while a run is queued or running. */
const POLL_MS = 1000;


/**
 * A project's evaluation set: its cases (add, delete), runs on the draft or the published release, each run's
 * results per case, and two runs compared side by side.
 */
export default function EvalsPanel({ project }: { project: Project }) {
  const path = { project_id: project.id };
  const [cases, setCases] = useState<EvalCase[]>();
  // The published release's number, for "Run on published"; undefined while none is published.
  const [publishedRelease, setPublishedRelease] = useState<number>();
  const [runs, setRuns] = useState<EvalRun[]>();
  const [shown, setShown] = useState<EvalRunDetail>();
  const [compare, setCompare] = useState<[number | undefined, number | undefined]>([undefined, undefined]);
  const [compared, setCompared] = useState<[EvalRunDetail, EvalRunDetail]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const loadRuns = useCallback(
    () =>
      unwrap(api.client.GET("/projects/{project_id}/eval-runs", { params: { path: { project_id: project.id } } }))
        .then(setRuns)
        .catch((err) => setError(errorMessage(err))),
    [project.id],
  );
  const showRun = useCallback(
    (id: number) =>
      unwrap(api.client.GET("/projects/eval-runs/{run_id}", { params: { path: { run_id: id } }, headers: { Accept: "application/json" } }))
        .then((run) => typeof run === "object" && setShown(run))
        .catch((err) => setError(errorMessage(err))),
    [],
  );

  useEffect(() => {
    unwrap(api.client.GET("/projects/{project_id}/eval-cases", { params: { path: { project_id: project.id } } }))
      .then(setCases)
      .catch((err) => setError(errorMessage(err)));
    unwrap(api.client.GET("/projects/{project_id}/releases", { params: { path: { project_id: project.id } } }))
      .then((list) => setPublishedRelease(list.find((r) => r.published)?.number))
      .catch((err) => setError(errorMessage(err)));
    loadRuns();
  }, [project.id, loadRuns]);

  // While a run is going, follow it: the list's counts and the shown run's results.
  const going = runs?.some(runActive) ?? false;
  useEffect(() => {
    if (!going) return;
    const timer = setInterval(() => {
      loadRuns();
      if (shown && runActive(shown)) showRun(shown.id);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [going, shown, loadRuns, showRun]);
  useEffect(() => {
    if (shown && runActive(shown) && runs?.some((r) => r.id === shown.id && !runActive(r))) showRun(shown.id);
  }, [runs, shown, showRun]);

  async function act(change: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    try {
      await change();
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  const startRun = (target: "draft" | number) =>
    act(async () => {
      const run = await unwrap(api.client.POST("/projects/{project_id}/eval-runs", { params: { path }, body: { target } }));
      setRuns((list) => [run, ...(list ?? [])]);
      await showRun(run.id);
    });

  const removeCase = (c: EvalCase) =>
    act(async () => {
      await unwrap(api.client.DELETE("/projects/eval-cases/{case_id}", { params: { path: { case_id: c.id } } }));
      setCases((list) => list?.filter((x) => x.id !== c.id));
    });

  const showCompare = (a: number, b: number) =>
    act(async () => {
      const get = (id: number) =>
        unwrap(api.client.GET("/projects/eval-runs/{run_id}", { params: { path: { run_id: id } }, headers: { Accept: "application/json" } }));
      const [ra, rb] = await Promise.all([get(a), get(b)]);
      if (typeof ra === "object" && typeof rb === "object") setCompared([ra, rb]);
    });

  const finished = runs?.filter((r) => !runActive(r)) ?? [];

  return (
    <div className="evals">
      {error && <Alert>{error}</Alert>}
      <section className="card" aria-labelledby="eval-cases-title">
        <h2 id="eval-cases-title">Evaluation cases</h2>
        <p className="muted small">
          Questions your bot must keep answering well, with checks on each reply. Run them before you publish: a
          release whose draft fails its cases is refused unless forced. At most 200 cases.
        </p>
        {!cases && !error && <p className="muted">Loading cases…</p>}
        {cases && cases.length === 0 && <p className="muted">No cases yet: add the first one below.</p>}
        {cases && cases.length > 0 && (
          <ul className="eval-cases">
            {cases.map((c) => (
              <li key={c.id} className="eval-case">
                <div className="grow">
                  <p className="eval-input">{c.input}</p>
                  <p className="muted small">
                    {c.history.length > 0 && `after ${c.history.length} earlier turns · `}
                    {describeChecks(c.checks).join(" · ") || "no checks: any answer passes"}
                  </p>
                </div>
                <button type="button" className="button small danger" disabled={busy} aria-label={`Delete case ${c.id}`} onClick={() => removeCase(c)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
        <CaseForm projectId={project.id} onAdded={(c) => setCases((list) => [...(list ?? []), c])} />
      </section>

      <section className="card" aria-labelledby="eval-runs-title">
        <h2 id="eval-runs-title">Runs</h2>
        <div className="row">
          <button type="button" className="button primary" disabled={busy || going || !cases?.length} onClick={() => startRun("draft")}>
            Run on draft
          </button>
          <button
            type="button"
            className="button"
            disabled={busy || going || !cases?.length || publishedRelease === undefined}
            title={publishedRelease === undefined ? "No release is published yet" : undefined}
            onClick={() => publishedRelease !== undefined && startRun(publishedRelease)}
          >
            Run on published
          </button>
          {going && <span className="muted small">A run is going…</span>}
        </div>
        {runs && runs.length > 0 && (
          <div className="table-scroll">
            <table className="keys-table eval-runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Passed</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Started</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id}>
                    <td>{runLabel(r)}</td>
                    <td>
                      <span className={`badge run-${r.failed > 0 ? "failing" : r.status}`}>{r.failed > 0 && !runActive(r) ? "failing" : r.status}</span>
                    </td>
                    <td>
                      {r.passed} / {r.total}
                    </td>
                    <td>{r.failed}</td>
                    <td>{formatDateTime(r.created_at)}</td>
                    <td>
                      <button type="button" className="button small" aria-label={`Show run ${r.id}`} onClick={() => showRun(r.id)}>
                        Show
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {shown && <RunResults run={shown} />}
      </section>

      {finished.length >= 2 && (
        <section className="card" aria-labelledby="eval-compare-title">
          <h2 id="eval-compare-title">Compare two runs</h2>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              const [a, b] = compare;
              if (a !== undefined && b !== undefined) showCompare(a, b);
            }}
          >
            {(["Left", "Right"] as const).map((side, i) => (
              <label key={side} className="field">
                <span>{side}</span>
                <select
                  value={compare[i] ?? ""}
                  onChange={(e) => {
                    const v = e.target.value ? Number(e.target.value) : undefined;
                    setCompare((c) => (i === 0 ? [v, c[1]] : [c[0], v]));
                  }}
                >
                  <option value="">Choose a run</option>
                  {finished.map((r) => (
                    <option key={r.id} value={r.id}>
                      {runLabel(r)} ({r.passed}/{r.total} passed)
                    </option>
                  ))}
                </select>
              </label>
            ))}
            <button type="submit" className="button" disabled={busy || compare[0] === undefined || compare[1] === undefined}>
              Compare
            </button>
          </form>
          {compared && <RunCompare left={compared[0]} right={compared[1]} />}
        </section>
      )}
    </div>
  );
}
