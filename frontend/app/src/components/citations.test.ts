import type { Citation } from "@chatbot-platform/sdk";
import { describe, expect, it } from "vitest";
import { remarkCitationMarkers, sourcesOf } from "./citations";

const cite = (over: Partial<Citation>): Citation => ({ openai_file_id: "file-a", filename: "a.txt", ...over });

describe("sourcesOf", () => {
  it("numbers the sources, one per file and quote", () => {
    const sources = sourcesOf([
      cite({ quote: "Open 9 to 5." }),
      cite({ quote: "Open 9 to 5." }),
      cite({ quote: "Closed on Sundays." }),
      cite({ openai_file_id: "file-b", filename: "b.txt" }),
    ]);
    expect(sources).toEqual([
      { n: 1, filename: "a.txt", quote: "Open 9 to 5." },
      { n: 2, filename: "a.txt", quote: "Closed on Sundays." },
      { n: 3, filename: "b.txt", quote: "" },
    ]);
  });
});

type Node = { type: string; value?: string; url?: string; children?: Node[] };
const text = (value: string): Node => ({ type: "text", value });
const tree = (...children: Node[]): Node => ({ type: "root", children: [{ type: "paragraph", children }] });
const flat = (n: Node): string =>
  n.type === "link" ? `<${n.url}>` : n.type === "paragraph" ? `${(n.children ?? []).map(flat).join("")}|` : (n.value ?? (n.children ?? []).map(flat).join(""));

describe("remarkCitationMarkers", () => {
  const href = (n: number) => `#s-${n}`;

  it("puts a marker right after the quote it found (and its closing quotation mark), the others at the end", () => {
    const t = tree(text('a.txt says: "Open 9 to 5." Then more.'));
    const sources = sourcesOf([cite({ quote: "Open 9 to 5." }), cite({ openai_file_id: "file-b", filename: "b.txt" })]);
    remarkCitationMarkers({ sources, href })(t as never);
    expect(flat(t)).toBe('a.txt says: "Open 9 to 5."<#s-1> Then more. <#s-2>|');
  });

  it("never writes into code, and ignores quotes too short to place", () => {
    const t: Node = { type: "root", children: [{ type: "code", value: "Open 9 to 5." }, { type: "paragraph", children: [text("Hi")] }] };
    const sources = sourcesOf([cite({ quote: "Open 9 to 5." }), cite({ quote: "Hi" })]);
    remarkCitationMarkers({ sources, href })(t as never);
    expect(flat(t)).toBe("Open 9 to 5.Hi <#s-1> <#s-2>|");
  });

  it("gives the markers a paragraph of their own after a closing code block", () => {
    const t: Node = { type: "root", children: [{ type: "code", value: "x" }] };
    remarkCitationMarkers({ sources: sourcesOf([cite({}), cite({ openai_file_id: "file-b" })]), href })(t as never);
    expect(flat(t)).toBe("x<#s-1> <#s-2>|");
  });

  it("does nothing without sources", () => {
    const t = tree(text("plain"));
    remarkCitationMarkers({ sources: [], href })(t as never);
    expect(flat(t)).toBe("plain|");
  });
});
