/** "1.2 MB"-style size for people (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** The day of a timestamp from the API in the reader's locale and time zone (where space is short). */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateOnly.format(date);
}

/** A timestamp from the API in the reader's locale and time zone. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 2 });
const count = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/**
 * An amount in US dollars: cents for anything from a cent up ("$1,234.50"), two significant digits below a cent
 * so that a chat costing a fraction of a cent does not read as free ("$0.00042"); "$0.00" only for nothing.
 */
export function formatUSD(amount: number): string {
  if (!Number.isFinite(amount) || amount === 0) return usd.format(0);
  return Math.abs(amount) < 0.01 ? usdSmall.format(amount) : usd.format(amount);
}

/** A whole count (requests, tokens) with thousands separators: "12,345". */
export function formatCount(n: number): string {
  return count.format(Number.isFinite(n) ? n : 0);
}

/** A count where space is short (chart axes, the keys table): "950", "12.3K", "1.5M". */
export function formatCompact(n: number): string {
  return compact.format(Number.isFinite(n) ? n : 0);
}

/** A duration in milliseconds: "850 ms" below a second, then "1.2 s", "12 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return `${Math.max(0, Math.round(ms || 0))} ms`;
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
}

const utcDate = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" });

/** The UTC day of a timestamp ("Jan 1, 2027"): budgets and the usage report count days and months in UTC. */
export function formatUTCDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : utcDate.format(date);
}
