import { useEffect, useMemo, useState, type MouseEvent } from "react";
import ReactMarkdown, { defaultUrlTransform, type Components, type Options } from "react-markdown";
import remarkGfm from "remark-gfm";
import { remarkCitationMarkers, type Source } from "./citations";
import { CopyButton } from "./CopyButton";

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
}

/** The text of a syntax tree node (a code block's source). */
function nodeText(node: MdNode | undefined): string {
  if (!node) return "";
  return node.value ?? node.children?.map(nodeText).join("") ?? "";
}

/**
 * Turns raw HTML in the Markdown into plain text nodes, so `<img onerror=…>` shows literally instead of being
 * parsed or silently dropped. Nothing here ever reaches innerHTML: react-markdown builds React elements.
 */
function remarkHtmlAsText() {
  const visit = (node: MdNode) => {
    if (node.type === "html") node.type = "text";
    node.children?.forEach(visit);
  };
  return (tree: MdNode) => visit(tree);
}

const components: Components = {
  // Each code block gets its own Copy button, which copies the source exactly (not the rendered text).
  pre({ node, children }) {
    const source = () => nodeText(node as MdNode | undefined).replace(/\n$/, "");
    return (
      <div className="code-block">
        <pre>{children}</pre>
        <CopyButton label="Copy code" text={source} className="code-copy" />
      </div>
    );
  },
  a({ href, children, className, ...props }) {
    // defaultUrlTransform has already emptied javascript:, data: and other unsafe URLs.
    if (!href) return <span>{children}</span>;
    // Only remarkCitationMarkers sets a class on a link: the reply's own Markdown cannot.
    if (className === "citation-marker" && href.startsWith("#")) {
      return (
        <a href={href} className={className} aria-label={props["aria-label"]} onClick={openSource}>
          {children}
        </a>
      );
    }
    return (
      <a href={href} target="_blank" rel="noopener noreferrer">
        {children}
      </a>
    );
  },
  // Remote images would be blocked by the CSP anyway and would tell a third party who reads the reply:
  // show a link the reader may choose to open instead.
  img({ src, alt }) {
    const label = alt || "image";
    if (typeof src !== "string" || src === "") return <span>[{label}]</span>;
    return (
      <a href={src} target="_blank" rel="noopener noreferrer">
        [{label}]
      </a>
    );
  },
};

const remarkPlugins = [remarkGfm, remarkHtmlAsText];

/** A citation marker was followed: open its source chip and move the focus there, without touching the URL. */
function openSource(e: MouseEvent<HTMLAnchorElement>) {
  const target = document.getElementById(e.currentTarget.getAttribute("href")?.slice(1) ?? "");
  if (!target) return;
  e.preventDefault();
  const details = target.querySelector("details");
  if (details) details.open = true;
  target.scrollIntoView({ block: "nearest" });
  (target.querySelector("summary") ?? target).focus();
}

type Plugin = typeof import("./highlight").rehypeHighlightCode;
let highlighter: Plugin | undefined;
let loading: Promise<Plugin> | undefined;

/** The syntax highlighter, loaded once, the first time a reply has a fenced code block. */
function loadHighlighter(): Promise<Plugin> {
  loading ??= import("./highlight").then((m) => (highlighter = m.rehypeHighlightCode));
  return loading;
}

const FENCE = /^ {0,3}(```|~~~)/m;

interface MarkdownProps {
  text: string;
  /** A reply's sources: their markers ([1]…) go into the text, linked to the element `sourceId(n)`. */
  sources?: readonly Source[];
  sourceId?: (n: number) => string;
}

/**
 * Renders untrusted Markdown (assistant replies) as inert React elements. Fenced code blocks are highlighted
 * once the highlighter has loaded (plain until then, and for languages it does not know).
 */
export function Markdown({ text, sources, sourceId }: MarkdownProps) {
  const plugins: Options["remarkPlugins"] = useMemo(
    () => (sources?.length && sourceId ? [...remarkPlugins, [remarkCitationMarkers, { sources, href: (n: number) => `#${sourceId(n)}` }]] : remarkPlugins),
    [sources, sourceId],
  );
  const [plugin, setPlugin] = useState<Plugin | undefined>(() => highlighter);
  const fenced = FENCE.test(text);
  useEffect(() => {
    if (!fenced || plugin) return;
    let current = true;
    loadHighlighter()
      .then((p) => current && setPlugin(() => p))
      .catch(() => {
        // Without the chunk (an old page after a release) code stays plain: still readable and copyable.
      });
    return () => {
      current = false;
    };
  }, [fenced, plugin]);
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={plugins}
        rehypePlugins={plugin ? [plugin] : undefined}
        components={components}
        urlTransform={defaultUrlTransform}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
