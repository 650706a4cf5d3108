/** Reads a positive integer id from the page's query string (e.g. ?project=3). */
export function readIdParam(name: string): number | undefined {
  const value = Number(new URLSearchParams(window.location.search).get(name));
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Rewrites query parameters without a reload or a history entry, so a reload reopens the same view. */
export function writeParams(params: Record<string, number | string | undefined>): void {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) url.searchParams.delete(key);
    else url.searchParams.set(key, String(value));
  }
  window.history.replaceState(null, "", url);
}
