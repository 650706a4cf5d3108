// @vitest-environment jsdom
import { cleanup, fireEvent, render, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Markdown } from "./Markdown";

afterEach(cleanup);

describe("Markdown", () => {
  it("shows raw HTML as literal text and creates no element from it", () => {
    const { container } = render(<Markdown text={"Hi <img src=x onerror=alert(1)> and <script>alert(2)</script>"} />);
    expect(container.querySelector("img, script")).toBeNull();
    expect(container.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(container.textContent).toContain("<script>alert(2)</script>");
  });

  it("keeps an HTML block inert too", () => {
    const { container } = render(<Markdown text={'<div onclick="alert(1)">\n<img src=x onerror=alert(1)>\n</div>'} />);
    expect(container.querySelector("div[onclick], img")).toBeNull();
    expect(container.textContent).toContain("onerror=alert(1)");
  });

  it("drops javascript: and data: link targets", () => {
    const { container } = render(<Markdown text={"[a](javascript:alert(1)) [b](data:text/html,x) [c](JaVaScRiPt:alert(1))"} />);
    for (const el of container.querySelectorAll("[href]")) {
      expect(el.getAttribute("href")?.toLowerCase()).not.toMatch(/^(javascript|data):/);
    }
    expect(container.textContent).toContain("a b c");
  });

  it("opens safe links in a new tab without opener or referrer", () => {
    const { container } = render(<Markdown text={"See [docs](https://example.com/x) and https://example.org"} />);
    const links = [...container.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://example.com/x", "https://example.org"]);
    for (const a of links) {
      expect(a.getAttribute("rel")).toBe("noopener noreferrer");
      expect(a.getAttribute("target")).toBe("_blank");
    }
  });

  it("turns images into links instead of loading them", () => {
    const { container } = render(<Markdown text={"![chart](https://example.com/c.png)"} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("a")?.textContent).toBe("[chart]");
  });

  it("renders ordinary Markdown", () => {
    const { container } = render(<Markdown text={"# Title\n\n- **bold** item\n\n```\ncode <b>\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"} />);
    expect(container.querySelector("h1")?.textContent).toBe("Title");
    expect(container.querySelector("li strong")?.textContent).toBe("bold");
    expect(container.querySelector("pre code")?.textContent).toBe("code <b>\n");
    expect(container.querySelectorAll("td")).toHaveLength(2);
  });
});

describe("Markdown code blocks", () => {
  it("highlight a known language with classes only, once the highlighter has loaded, and keep HTML inert", async () => {
    const text = "```js\nconst x = \"<img src=x onerror=alert(1)>\"; // note\n```\n\n```\nplain <b>\n```";
    const { container } = render(<Markdown text={text} />);
    await waitFor(() => expect(container.querySelector("code.hljs .hljs-keyword")?.textContent).toBe("const"));
    expect(container.querySelector(".hljs-string")?.textContent).toBe('"<img src=x onerror=alert(1)>"');
    expect(container.querySelector(".hljs-comment")?.textContent).toBe("// note");
    expect(container.querySelector("img, b, [style]")).toBeNull();
    const codes = container.querySelectorAll("pre code");
    expect(codes[0]?.textContent).toBe('const x = "<img src=x onerror=alert(1)>"; // note\n');
    expect(codes[1]?.classList.contains("hljs")).toBe(false);
    expect(codes[1]?.textContent).toBe("plain <b>\n");
  });

  it("give each block a Copy button that copies its source", async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    const { getAllByRole, findAllByText } = render(<Markdown text={"```python\nprint('hi')\n```\n\n```\na\nb\n```"} />);
    const buttons = getAllByRole("button", { name: "Copy code" });
    expect(buttons).toHaveLength(2);
    fireEvent.click(buttons[1]!);
    await findAllByText("Copied to the clipboard.");
    expect(writeText).toHaveBeenCalledWith("a\nb");
    vi.unstubAllGlobals();
  });
});
