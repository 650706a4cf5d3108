import type { Citation } from "@chatbot-platform/sdk";

/** One source chip under a reply: a file, and the quote taken from it when the upstream gave one. */
export interface Source {
  /** 1-based: the reply's markers read [n]. */
  n: number;
  filename: string;
  quote: string;
}

/** A reply's citations as numbered sources: the same file with the same quote is one source. */
export function sourcesOf(citations: readonly Citation[]): Source[] {
  const seen = new Map<string, Source>();
  for (const c of citations) {
    const key = `${c.openai_file_id}\u0000${c.quote ?? ""}`;
    if (!seen.has(key)) seen.set(key, { n: seen.size + 1, filename: c.filename, quote: c.quote?.trim() ?? "" });
  }
  return [...seen.values()];
}

interface MdNode {
  type: string;
  value?: string;
  url?: string;
  children?: MdNode[];
  data?: { hProperties?: Record<string, unknown> };
}

// A quote this short could match by chance anywhere.
const MIN_QUOTE = 8;
const CLOSING = /^["'”’»)]/;

function marker(source: Source, href: (n: number) => string): MdNode {
  return {
    type: "link",
    url: href(source.n),
    children: [{ type: "text", value: `[${source.n}]` }],
    data: { hProperties: { className: ["citation-marker"], ariaLabel: `Source ${source.n}: ${source.filename}` } },
  };
}

/**
 * A remark plugin that puts each source's marker ([1], [2]…) in the reply's text: right after its quote where
 * the reply repeats the quote, else together at the end. (The API does not say where in the reply a citation
 * sits, so a quote found in the text is the only position known.) Markers are links to `href(n)`; code is
 * never touched, and markers are built as syntax nodes, never from the reply's text.
 */
export function remarkCitationMarkers({ sources, href }: { sources: readonly Source[]; href: (n: number) => string }) {
  return (tree: MdNode) => {
    if (sources.length === 0) return;
    const placed = new Set<number>();
    const visit = (parent: MdNode) => {
      const children = parent.children;
      if (!children) return;
      for (let i = 0; i < children.length; i++) {
        const node = children[i]!;
        if (node.type === "text" && node.value) {
          for (const s of sources) {
            if (placed.has(s.n) || s.quote.length < MIN_QUOTE) continue;
            const at = node.value.indexOf(s.quote);
            if (at < 0) continue;
            let end = at + s.quote.length;
            if (CLOSING.test(node.value.slice(end))) end++;
            const after: MdNode = { type: "text", value: node.value.slice(end) };
            node.value = node.value.slice(0, end);
            children.splice(i + 1, 0, marker(s, href), after);
            placed.add(s.n);
            break; // the rest of this text is `after`, visited next but one
          }
        } else if (node.type !== "link" && node.type !== "linkReference") {
          visit(node);
        }
      }
    };
    visit(tree);
    const rest = sources.filter((s) => !placed.has(s.n));
    if (rest.length === 0) return;
    const tail: MdNode[] = [];
    for (const s of rest) tail.push({ type: "text", value: " " }, marker(s, href));
    // After the last paragraph's text when the reply ends with one; else a paragraph of their own.
    const last = tree.children?.at(-1);
    if (last?.type === "paragraph") last.children = [...(last.children ?? []), ...tail];
    else tree.children = [...(tree.children ?? []), { type: "paragraph", children: tail.slice(1) }];
  };
}
