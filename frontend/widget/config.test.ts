// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { conversationSlot, findScript, newVisitorId, openStore, readConfig, visitorId } from "./config";

function script(attrs: Record<string, string>): HTMLScriptElement {
  const s = document.createElement("script");
  for (const [k, v] of Object.entries(attrs)) s.setAttribute(k, v);
  return s;
}

describe("readConfig", () => {
  it("takes the host from the script's own src and the settings from its data- attributes", () => {
    const s = script({
      src: "https://bot.example:8443/widget.js?v=2",
      "data-key": "cb_pk_123",
      "data-user": "alice",
      "data-user-hash": "ab".repeat(32),
      "data-title": "Support",
      "data-greeting": "Hi there!",
      "data-color": "#0a7",
    });
    expect(readConfig(s)).toEqual({
      host: "https://bot.example:8443",
      key: "cb_pk_123",
      user: "alice",
      userHash: "ab".repeat(32),
      title: "Support",
      greeting: "Hi there!",
      color: "#0a7",
    });
  });

  it("defaults the title to Chat and treats a visitor without data-user as anonymous", () => {
    const cfg = readConfig(script({ src: "https://bot.example/widget.js", "data-key": "cb_pk_1", "data-user-hash": "x" }));
    expect(cfg).toEqual({ host: "https://bot.example", key: "cb_pk_1", title: "Chat", greeting: undefined, color: undefined });
  });

  it("refuses a script without a key", () => {
    expect(readConfig(script({ src: "https://bot.example/widget.js" }))).toBeNull();
    expect(readConfig(script({ src: "https://bot.example/widget.js", "data-key": "  " }))).toBeNull();
  });

  it("finds its script by src and key when document.currentScript is gone (a later call)", () => {
    document.body.append(script({ src: "https://other.example/app.js" }), script({ src: "https://bot.example/widget.js", "data-key": "k" }));
    expect(findScript()?.dataset.key).toBe("k");
  });
});

describe("storage", () => {
  it("falls back to memory when localStorage throws", () => {
    const store = openStore(() => {
      throw new DOMException("denied", "SecurityError");
    });
    expect(store.get("a")).toBeNull();
    store.set("a", "1");
    expect(store.get("a")).toBe("1");
    store.remove("a");
    expect(store.get("a")).toBeNull();
  });

  it("keeps values in localStorage when it works", () => {
    const store = openStore();
    store.set("cb_test", "x");
    expect(localStorage.getItem("cb_test")).toBe("x");
  });

  it("keeps one conversation slot per key, named by its first 12 characters", () => {
    expect(conversationSlot("cb_pk_abcdefghijkl")).toBe("cb_widget_conv_cb_pk_abcdef");
  });
});

describe("visitor id", () => {
  it("is 32 random characters of [A-Za-z0-9_-]", () => {
    const ids = new Set(Array.from({ length: 200 }, newVisitorId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("is made once and kept under cb_widget_visitor; a malformed kept value is replaced", () => {
    localStorage.removeItem("cb_widget_visitor");
    const store = openStore();
    const id = visitorId(store);
    expect(localStorage.getItem("cb_widget_visitor")).toBe(id);
    expect(visitorId(store)).toBe(id);
    localStorage.setItem("cb_widget_visitor", "<bad>");
    expect(visitorId(store)).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});
