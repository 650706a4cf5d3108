// The widget's DOM and behaviour: a bubble that opens a chat panel, both in a shadow root. Everything is built
// with createElement and textContent; the reply's Markdown goes through renderMarkdown, which does the same.
import type { ChatMessage, ChatResponse, Citation } from "../sdk/src/types.js";
import { type Api, type Rating, WidgetError, UNAVAILABLE } from "./api.js";
import { type Config, type Store, conversationSlot } from "./config.js";
import { renderMarkdown } from "./markdown.js";
import { STYLES } from "./styles.js";

type Kid = Node | string;

/** An assistant message in the log: update re-renders its text, finish adds citations and a note. */
interface Bot {
  el: HTMLElement;
  update(text: string): void;
  finish(citations?: Citation[], note?: string): void;
}

const SVG = "http://www.w3.org/2000/svg";
// Material-style icons (24x24): chat, close, new conversation, and:
const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 5v2h10V9zm0 4v2h7v-2z";
const CLOSE_ICON = "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z";
// thumb up (thumb down is the same, flipped by CSS).
const THUMB_ICON = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";
const NEW_ICON = "M12 4a8 8 0 1 0 7.7 10h-2.1A6 6 0 1 1 12 6c1.7 0 3.1.7 4.2 1.8L13 11h7V4l-2.4 2.4A8 8 0 0 0 12 4z";

/** The chat widget mounted on a page. */
export class Widget {
  readonly host: HTMLElement;
  readonly root: ShadowRoot;
  private readonly wrap: HTMLElement;
  private readonly bubble: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly log: HTMLElement;
  private readonly error: HTMLElement;
  private readonly live: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendBtn: HTMLButtonElement;
  private readonly stopBtn: HTMLButtonElement;
  private readonly slot: string;
  private conversation: number | null;
  private opened = false;
  private loading: Promise<void> | null = null;
  private busy: AbortController | null = null;

  constructor(
    private readonly cfg: Config,
    private readonly api: Api,
    private readonly store: Store,
    private readonly doc: Document = document,
  ) {
    this.slot = conversationSlot(cfg.key);
    const kept = Number(store.get(this.slot));
    this.conversation = Number.isSafeInteger(kept) && kept > 0 ? kept : null;

    this.host = this.h("div", { "data-chatbot-widget": "" });
    this.root = this.host.attachShadow({ mode: "open" });
    adoptStyles(this.root, doc);

    const label = cfg.title;
    this.bubble = this.h(
      "button",
      { type: "button", class: "bubble", "aria-label": label === "Chat" ? "Chat" : `Chat: ${label}`, "aria-expanded": "false", "aria-controls": "cb-panel" },
      this.icon(CHAT_ICON, "io"),
      this.icon(CLOSE_ICON, "ic"),
    );
    const newBtn = this.h("button", { type: "button", "aria-label": "New conversation", title: "New conversation" }, this.icon(NEW_ICON));
    const closeBtn = this.h("button", { type: "button", "aria-label": "Close chat", title: "Close" }, this.icon(CLOSE_ICON));
    this.log = this.h("div", { class: "log" });
    this.error = this.h("p", { class: "err", role: "alert", hidden: "" });
    this.live = this.h("div", { class: "sr", "aria-live": "polite" });
    this.input = this.h("textarea", { "aria-label": "Message", placeholder: "Type your message…", rows: "1", maxlength: "32000" });
    this.sendBtn = this.h("button", { type: "submit", class: "send" }, "Send");
    this.stopBtn = this.h("button", { type: "button", class: "stop", hidden: "" }, "Stop");
    const form = this.h("form", {}, this.input, this.sendBtn, this.stopBtn);
    this.panel = this.h(
      "div",
      { id: "cb-panel", class: "panel", role: "dialog", "aria-label": label, hidden: "" },
      this.h("header", {}, this.h("h2", {}, label), newBtn, closeBtn),
      this.log,
      this.error,
      form,
      this.live,
    );
    this.wrap = this.h("div", { class: "w" }, this.bubble, this.panel);
    if (cfg.color && (typeof CSS === "undefined" || CSS.supports("color", cfg.color))) {
      this.wrap.style.setProperty("--a", cfg.color);
    }
    this.root.append(this.wrap);

    this.bubble.addEventListener("click", () => (this.opened ? this.close() : this.open()));
    closeBtn.addEventListener("click", () => this.close());
    newBtn.addEventListener("click", () => this.reset());
    this.stopBtn.addEventListener("click", () => this.busy?.abort());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.send();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.send();
      }
    });
    this.wrap.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.opened) {
        e.stopPropagation();
        this.close();
      }
    });
  }

  /** Opens the panel, moves focus to the message box and, the first time, loads the kept conversation. */
  open(): void {
    this.opened = true;
    this.panel.hidden = false;
    this.wrap.classList.add("open");
    this.bubble.setAttribute("aria-expanded", "true");
    this.input.focus();
    if (!this.loading) this.loading = this.load();
  }

  /** Closes the panel and gives focus back to the bubble. */
  close(): void {
    this.opened = false;
    this.panel.hidden = true;
    this.wrap.classList.remove("open");
    this.bubble.setAttribute("aria-expanded", "false");
    this.bubble.focus();
  }

  /** Forgets the conversation (stopping a reply in progress) and starts an empty one. */
  reset(): void {
    this.busy?.abort();
    this.forget();
    this.log.replaceChildren();
    this.showError("");
    this.greet();
    this.input.focus();
  }

  private forget(): void {
    this.conversation = null;
    this.store.remove(this.slot);
  }

  private async load(): Promise<void> {
    const id = this.conversation;
    if (!id) return this.greet();
    this.sendBtn.disabled = true;
    const note = this.h("p", { class: "note" }, "Loading the conversation…");
    this.log.append(note);
    try {
      const detail = await this.api.history(id);
      if (this.conversation === id) detail.messages.forEach((m) => this.addStored(m));
    } catch (err) {
      if (err instanceof WidgetError && err.status === 404) {
        if (this.conversation === id) this.forget();
      } else {
        this.showError(err instanceof WidgetError ? err.message : UNAVAILABLE);
      }
    } finally {
      note.remove();
      this.sendBtn.disabled = false;
      if (!this.log.childElementCount) this.greet();
      this.scroll(true);
    }
  }

  private greet(): void {
    if (this.cfg.greeting) this.log.append(this.h("div", { class: "msg bot greeting" }, this.cfg.greeting));
  }

  private addStored(m: ChatMessage): void {
    if (m.role === "user") return void this.addUser(m.content);
    const bot = this.addBot();
    bot.update(m.content);
    bot.finish(m.citations, m.incomplete ? "This reply was interrupted before it finished." : "");
    this.thumbs(bot, m.id, m.feedback?.rating ?? null);
  }

  /** Thumbs up and down under an answer, pressed as rated; pressing the pressed one clears the rating. */
  private thumbs(bot: Bot, messageId: number, rated: Rating | null): void {
    const conversation = this.conversation;
    if (!conversation) return;
    const buttons = (["up", "down"] as const).map((rating) => {
      const b = this.h("button", { type: "button", "aria-label": rating === "up" ? "Good answer" : "Bad answer" }, this.icon(THUMB_ICON, rating));
      b.addEventListener("click", () => void choose(rating));
      return [rating, b] as const;
    });
    const show = () => buttons.forEach(([r, b]) => b.setAttribute("aria-pressed", String(r === rated)));
    const choose = async (rating: Rating) => {
      const next = rating === rated ? null : rating;
      buttons.forEach(([, b]) => (b.disabled = true));
      try {
        await this.api.rate(conversation, messageId, next);
        rated = next;
        this.showError("");
        this.live.textContent = next ? "Thanks for your feedback." : "Rating removed.";
      } catch (err) {
        this.showError(err instanceof WidgetError ? err.message : UNAVAILABLE);
      }
      buttons.forEach(([, b]) => (b.disabled = false));
      show();
    };
    show();
    bot.el.append(this.h("div", { class: "rate", role: "group", "aria-label": "Rate this answer" }, ...buttons.map(([, b]) => b)));
  }

  private addUser(text: string): HTMLElement {
    const el = this.h("div", { class: "msg user" }, text);
    this.log.append(el);
    this.scroll(true);
    return el;
  }

  private addBot(): Bot {
    const md = this.h("div", { class: "md" });
    const el = this.h("div", { class: "msg bot wait" }, md);
    this.log.append(el);
    this.scroll(true);
    return {
      el,
      update: (text: string) => {
        const stick = this.nearBottom();
        el.classList.toggle("wait", !text);
        md.replaceChildren(renderMarkdown(text, this.doc));
        this.scroll(stick);
      },
      finish: (citations: Citation[] = [], note = "") => {
        el.classList.remove("wait");
        if (citations.length) el.append(this.citations(citations));
        if (note) el.append(this.h("p", { class: "note" }, note));
        this.scroll(this.nearBottom());
      },
    };
  }

  private citations(list: Citation[]): HTMLElement {
    const ul = this.h("ul", { class: "cites", "aria-label": "Sources" });
    const seen = new Set<string>();
    for (const c of list) {
      const id = `${c.filename}\n${c.quote ?? ""}`;
      if (seen.has(id)) continue;
      seen.add(id);
      ul.append(
        this.h(
          "li",
          {},
          c.quote
            ? this.h("details", {}, this.h("summary", { title: c.quote }, c.filename), this.h("blockquote", {}, c.quote))
            : this.h("span", { class: "chip" }, c.filename),
        ),
      );
    }
    return ul;
  }

  /** Sends the typed message and streams the reply into the log. */
  async send(): Promise<void> {
    const text = this.input.value.trim();
    if (!text || this.busy || this.sendBtn.disabled) return;
    this.log.querySelector(".greeting")?.remove();
    this.showError("");
    this.input.value = "";
    const userEl = this.addUser(text);
    const bot = this.addBot();
    const ctrl = new AbortController();
    this.busy = ctrl;
    this.setStreaming(true);
    let started = false;
    let reply = "";
    let failure = "";
    let gone = false;
    try {
      await this.api.chat(text, this.conversation, ctrl.signal, (e) => {
        switch (e.event) {
          case "start":
            started = true;
            this.conversation = e.data.conversation_id;
            this.store.set(this.slot, String(e.data.conversation_id));
            break;
          case "delta":
            reply += e.data.text;
            bot.update(reply);
            break;
          case "done":
            this.done(bot, e.data);
            break;
          case "error":
            failure = e.data.detail || UNAVAILABLE;
            break;
        }
      });
    } catch (err) {
      if (ctrl.signal.aborted) {
        if (!reply) bot.el.remove();
        else bot.finish([], "Stopped.");
      } else {
        failure = err instanceof WidgetError ? err.message : UNAVAILABLE;
        // The conversation was deleted meanwhile (or is not this visitor's): send again in a new one.
        gone = err instanceof WidgetError && err.status === 404 && !started && this.conversation !== null;
      }
    } finally {
      if (this.busy === ctrl) this.busy = null;
      this.setStreaming(false);
    }
    if (gone) {
      this.forget();
      this.log.replaceChildren();
      this.input.value = text;
      return this.send();
    }
    if (failure) {
      if (reply) bot.finish([], "This reply could not be completed.");
      else bot.el.remove();
      if (!started) userEl.remove(); // the server kept nothing: the message goes back into the box
      if (!this.input.value) this.input.value = text;
      this.showError(failure);
    }
  }

  private done(bot: Bot, res: ChatResponse): void {
    bot.update(res.reply);
    bot.finish(res.citations);
    this.thumbs(bot, res.message_id, null);
    this.announce(res.reply);
  }

  private setStreaming(on: boolean): void {
    // The focused button is about to be hidden: keep focus on the one that replaces it, or the message box.
    const refocus = this.root.activeElement === this.sendBtn || this.root.activeElement === this.stopBtn;
    this.sendBtn.hidden = on;
    this.stopBtn.hidden = !on;
    if (refocus) (on ? this.stopBtn : this.input).focus();
  }

  private announce(text: string): void {
    this.live.textContent = "";
    setTimeout(() => (this.live.textContent = text.length > 600 ? `${text.slice(0, 600)}…` : text), 50);
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  private nearBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 48;
  }

  private scroll(stick: boolean): void {
    if (stick) this.log.scrollTop = this.log.scrollHeight;
  }

  private h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: Kid[]): HTMLElementTagNameMap[K] {
    const el = this.doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    el.append(...kids);
    return el;
  }

  private icon(d: string, cls = ""): SVGElement {
    const svg = this.doc.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    if (cls) svg.setAttribute("class", cls);
    const path = svg.appendChild(this.doc.createElementNS(SVG, "path"));
    path.setAttribute("d", d);
    return svg;
  }
}

/** Styles through a constructed stylesheet (allowed under a CSP without 'unsafe-inline'); <style> where unsupported. */
function adoptStyles(root: ShadowRoot, doc: Document): void {
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(Object.assign(doc.createElement("style"), { textContent: STYLES }));
  }
}
