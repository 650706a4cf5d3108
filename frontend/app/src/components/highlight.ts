// Syntax highlighting of the code blocks in replies: highlight.js grammars run through lowlight, which returns a
// syntax tree (spans with hljs-* classes) instead of an HTML string, so the result becomes React elements like
// the rest of the Markdown: no innerHTML, no inline style, nothing the model wrote is ever parsed as HTML.
// Loaded on demand (a chunk of its own) the first time a reply holds a fenced code block.
import { createLowlight } from "lowlight";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

// The languages people ask a support or developer bot about most; their aliases (js, ts, py, sh, html, yml…)
// come with them. Others stay plain text rather than growing the chunk.
const lowlight = createLowlight({ bash, css, go, javascript, json, python, sql, typescript, xml, yaml });

interface HastNode {
  type: string;
  tagName?: string;
  value?: string;
  properties?: { className?: unknown };
  children?: HastNode[];
}

function text(node: HastNode): string {
  return node.value ?? node.children?.map(text).join("") ?? "";
}

/** The `language-xxx` of a code element (as remark writes it for ```xxx), when highlight.js knows it. */
export function languageOf(code: HastNode): string | undefined {
  const classes = code.properties?.className;
  const list = Array.isArray(classes) ? classes : [];
  for (const c of list) {
    if (typeof c === "string" && c.startsWith("language-")) {
      const lang = c.slice("language-".length).toLowerCase();
      return lowlight.registered(lang) ? lang : undefined;
    }
  }
  return undefined;
}

/** A rehype plugin: highlights every `pre > code` with a known language, in place. */
export function rehypeHighlightCode() {
  const walk = (node: HastNode) => {
    if (node.type === "element" && node.tagName === "pre") {
      const code = node.children?.find((c) => c.type === "element" && c.tagName === "code");
      const lang = code && languageOf(code);
      if (code && lang) {
        const tree = lowlight.highlight(lang, text(code)) as unknown as HastNode;
        code.children = tree.children ?? [];
        const classes = Array.isArray(code.properties?.className) ? (code.properties.className as string[]) : [];
        code.properties = { ...code.properties, className: [...classes, "hljs"] };
      }
      return;
    }
    node.children?.forEach(walk);
  };
  return (tree: HastNode) => walk(tree);
}
