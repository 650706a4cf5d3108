import type { FeedbackCount } from "@chatbot-platform/sdk";

/** A release as people read it: "Release 3", or "Draft" for answers given before any release (null). */
export function releaseName(release: number | null): string {
  return release === null ? "Draft" : `Release ${release}`;
}

/** The share of answers rated up, rounded ("75 %"); "–" when none was rated. */
export function upShare(c: Pick<FeedbackCount, "up" | "down">): string {
  const total = c.up + c.down;
  return total === 0 ? "–" : `${Math.round((100 * c.up) / total)} %`;
}

/** Counts newest release first, the draft last: the releases people compare are the recent ones. */
export function sortCounts(counts: readonly FeedbackCount[]): FeedbackCount[] {
  return [...counts].sort((a, b) => (b.release ?? -1) - (a.release ?? -1));
}
