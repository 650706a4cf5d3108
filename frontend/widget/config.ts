// What the embedding page says through the <script> tag's data- attributes, and where the widget keeps its
// few values (localStorage, or memory when storage is unavailable: blocked third-party storage, private mode).

/** The widget's settings, read once from its <script> element. */
export interface Config {
  /** Origin of widget.js itself: the only place the widget talks to. */
  host: string;
  /** The publishable key (cb_pk_...). */
  key: string;
  /** A signed-in visitor's id and its HMAC (computed by the site's server); without user, an anonymous visitor. */
  user?: string;
  userHash?: string;
  title: string;
  greeting?: string;
  color?: string;
}

/** Finds the widget's own <script>: document.currentScript while it first runs, else by its src and key. */
export function findScript(doc: Document = document): HTMLScriptElement | null {
  const current = doc.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.key) return current;
  return doc.querySelector<HTMLScriptElement>('script[src$="/widget.js"][data-key]');
}

/** Reads the settings from the script element; null when it has no key or no usable src. */
export function readConfig(script: HTMLScriptElement): Config | null {
  const d = script.dataset;
  const key = d.key?.trim();
  if (!key) return null;
  let host: string;
  try {
    host = new URL(script.src).origin;
  } catch {
    return null;
  }
  if (host === "null") return null;
  const user = d.user?.trim() || undefined;
  const userHash = d.userHash?.trim() || undefined;
  return {
    host,
    key,
    // A user without a hash is sent as is: the server's 401 tells the site what is missing.
    ...(user ? { user, userHash } : {}),
    title: d.title?.trim() || "Chat",
    greeting: d.greeting?.trim() || undefined,
    color: d.color?.trim() || undefined,
  };
}

/** localStorage when it works, else a Map that lasts as long as the page. */
export interface Store {
  get(name: string): string | null;
  set(name: string, value: string): void;
  remove(name: string): void;
}

export function openStore(storage: () => Storage = () => localStorage): Store {
  const memory = new Map<string, string>();
  const attempt = <T>(fn: (s: Storage) => T, fallback: () => T): T => {
    try {
      return fn(storage());
    } catch {
      return fallback();
    }
  };
  return {
    get: (name) => attempt((s) => s.getItem(name), () => memory.get(name) ?? null),
    set: (name, value) => {
      memory.set(name, value);
      attempt((s) => s.setItem(name, value), () => undefined);
    },
    remove: (name) => {
      memory.delete(name);
      attempt((s) => s.removeItem(name), () => undefined);
    },
  };
}

const VISITOR_KEY = "cb_widget_visitor";
const VISITOR_ID = /^[A-Za-z0-9_-]{16,64}$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A random anonymous visitor id: 32 characters of [A-Za-z0-9_-] (64 symbols, so a byte & 63 is unbiased). */
export function newVisitorId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => ALPHABET[b & 63]).join("");
}

/** The anonymous visitor's id, made and kept on first use. */
export function visitorId(store: Store): string {
  const kept = store.get(VISITOR_KEY);
  if (kept && VISITOR_ID.test(kept)) return kept;
  const id = newVisitorId();
  store.set(VISITOR_KEY, id);
  return id;
}

/** Where the current conversation's id is kept for a key. */
export function conversationSlot(key: string): string {
  return `cb_widget_conv_${key.slice(0, 12)}`;
}
