// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown, safeUrl } from "./markdown";

/** Renders into a div and returns its HTML, for comparing structure. */
function html(md: string): string {
  const div = document.createElement("div");
  div.append(renderMarkdown(md));
  return div.innerHTML;
}

function dom(md: string): HTMLDivElement {
  const div = document.createElement("div");
  div.append(renderMarkdown(md));
  return div;
}

/** Every element and attribute of a tree, to prove nothing in it can run script. */
function scriptable(root: Element): string[] {
  const found: string[] = [];
  const allowedTags = new Set(["P", "BR", "STRONG", "EM", "CODE", "PRE", "UL", "OL", "LI", "A", "BLOCKQUOTE", "HR", "SPAN", "DIV"]);
  for (const el of root.querySelectorAll("*")) {
    if (!allowedTags.has(el.tagName)) found.push(`<${el.tagName}>`);
    for (const a of el.attributes) {
      if (/^on/i.test(a.name) || a.name === "style" || a.name === "src" || a.name === "srcdoc") found.push(`${el.tagName}[${a.name}]`);
      if (a.name === "href" && !/^https?:\/\//i.test(a.value)) found.push(`${el.tagName}[href=${a.value}]`);
    }
  }
  return found;
}

describe("renderMarkdown: blocks", () => {
  it("makes paragraphs, and a single newline a line break", () => {
    expect(html("Hello\nworld\n\nSecond")).toBe("<p>Hello<br>world</p><p>Second</p>");
  });

  it("renders fenced code verbatim, with its language line dropped", () => {
    expect(html("Try:\n```js\nconst a = 1 < 2 && **b**;\n\n  indented\n```\nafter")).toBe(
      "<p>Try:</p><pre><code>const a = 1 &lt; 2 &amp;&amp; **b**;\n\n  indented</code></pre><p>after</p>",
    );
  });

  it("shows a fence still open (a reply mid-stream) as code", () => {
    expect(html("```\nline 1\nline")).toBe("<pre><code>line 1\nline</code></pre>");
  });

  it("renders bulleted and numbered lists, nested by indentation", () => {
    expect(html("- one\n- **two**\n  - inner\n\n1. first\n2. second")).toBe(
      "<ul><li>one</li><li><p><strong>two</strong></p><ul><li>inner</li></ul></li></ul><ol><li>first</li><li>second</li></ol>",
    );
    expect(html("3. three\n4. four")).toBe('<ol start="3"><li>three</li><li>four</li></ol>');
    expect(html("* a\n* b")).toBe("<ul><li>a</li><li>b</li></ul>");
  });

  it("starts a list right after a paragraph line", () => {
    expect(html("Steps:\n1. open\n2. close")).toBe("<p>Steps:</p><ol><li>open</li><li>close</li></ol>");
  });

  it("shows headings as bold lines, quotes and rules", () => {
    expect(html("## Title ##\n> quoted *text*\n\n---")).toBe(
      "<p><strong>Title</strong></p><blockquote><p>quoted <em>text</em></p></blockquote><hr>",
    );
  });

  it("normalizes CRLF line ends", () => {
    expect(html("a\r\nb\r\n\r\nc")).toBe("<p>a<br>b</p><p>c</p>");
  });
});

describe("renderMarkdown: inline", () => {
  it("renders bold, italic and code spans", () => {
    expect(html("**bold** and __bold__, *it* and _it_, `x < y`")).toBe(
      "<p><strong>bold</strong> and <strong>bold</strong>, <em>it</em> and <em>it</em>, <code>x &lt; y</code></p>",
    );
  });

  it("nests emphasis and keeps code spans literal", () => {
    expect(html("**bold *and italic***")).toBe("<p><strong>bold <em>and italic</em></strong></p>");
    expect(html("*it **and bold** too*")).toBe("<p><em>it <strong>and bold</strong> too</em></p>");
    expect(html("`**not bold**` and ``a ` b``")).toBe("<p><code>**not bold**</code> and <code>a ` b</code></p>");
  });

  it("leaves snake_case words and lone stars alone", () => {
    expect(html("snake_case_name and 2 * 3 * 4")).toBe("<p>snake_case_name and 2 * 3 * 4</p>");
  });

  it("makes links for http and https URLs, opening in a new tab without referrer", () => {
    const a = dom("See [the **docs**](https://example.com/a?b=1&c=2).").querySelector("a")!;
    expect(a.getAttribute("href")).toBe("https://example.com/a?b=1&c=2");
    expect(a.getAttribute("target")).toBe("_blank");
    expect(a.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(a.innerHTML).toBe("the <strong>docs</strong>");
  });

  it("links bare URLs without their trailing punctuation", () => {
    const div = dom("Go to https://example.com/path. Or (http://example.org/x), fine");
    expect([...div.querySelectorAll("a")].map((a) => a.getAttribute("href"))).toEqual([
      "https://example.com/path",
      "http://example.org/x",
    ]);
    expect(div.textContent).toBe("Go to https://example.com/path. Or (http://example.org/x), fine");
  });

  it("does not nest a link in a link", () => {
    const div = dom("[https://a.example](https://b.example)");
    expect(div.querySelectorAll("a")).toHaveLength(1);
    expect(div.querySelector("a")!.getAttribute("href")).toBe("https://b.example/");
  });
});

describe("renderMarkdown: untrusted text stays inert", () => {
  const payloads = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](//evil.example/path)",
    "[x](/relative)",
    '[x](https://ok.example" onclick="alert(1))',
    "**<svg onload=alert(1)>**",
    "`<img src=x onerror=alert(1)>`",
    "```\n<iframe srcdoc='<script>alert(1)</script>'>\n```",
    "- <details open ontoggle=alert(1)>",
  ];

  for (const payload of payloads) {
    it(`renders ${JSON.stringify(payload)} without any scriptable element or attribute`, () => {
      const div = dom(payload);
      expect(scriptable(div)).toEqual([]);
    });
  }

  it("shows an HTML payload as its own characters", () => {
    const div = dom("<img src=x onerror=alert(1)>");
    expect(div.querySelector("img")).toBeNull();
    expect(div.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("keeps only the words of a javascript: link", () => {
    const div = dom("[x](javascript:alert(1))");
    expect(div.querySelector("a")).toBeNull();
    expect(div.innerHTML).toBe("<p>x</p>");
  });
});

describe("safeUrl", () => {
  it("accepts absolute http(s) URLs only", () => {
    expect(safeUrl("https://example.com/x")).toBe("https://example.com/x");
    expect(safeUrl("HTTP://EXAMPLE.com")).toBe("http://example.com/");
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "//example.com", "/x", "mailto:a@b.c", "https://", ""]) {
      expect(safeUrl(bad), bad).toBeNull();
    }
  });
});
