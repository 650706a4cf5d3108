// A small, safe Markdown renderer for assistant replies. It builds DOM nodes only (createElement, text nodes,
// setAttribute with fixed names): the reply's text never reaches an HTML parser, so `<img onerror=...>` in a
// reply is shown as the characters it is. Links are made only for http(s) URLs.
//
// Blocks: paragraphs (a single newline is a line break), fenced code, bulleted and numbered lists (nested by
// indentation), block quotes, headings (shown as bold lines). Inline: `code`, **bold**, *italic*, [links](url)
// and bare http(s) URLs.

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const BULLET = /^ {0,3}([-*+])[ \t]+/;
const ORDERED = /^ {0,3}(\d{1,9})[.)][ \t]+/;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/;
const QUOTE = /^ {0,3}> ?/;
const RULE = /^ {0,3}([-*_])[ \t]*(?:\1[ \t]*){2,}$/;

// Earliest inline construct, in priority order of the alternatives: code span, bold, italic, link, bare URL.
// None spans a line break: an unclosed marker then costs a scan of its line, not of the whole reply.
const INLINE =
  /(`+)([^`]|[^`][^\n]*?[^`])\1(?!`)|\*\*(?=\S)([^\n]*?\S)\*\*(?!\*)|__(?=\S)([^\n]*?\S)__(?!\w)|\*(?=[^\s*]|\*\*\S)((?:\*\*[^*\n]+\*\*|[^*\n])*?(?:[^\s*]|\*\*))\*(?!\*)|(?<![\w])_(?=[^\s_])([^\n]*?[^\s_])_(?!\w)|\[([^\]\n]*)\]\(\s*<?([^\s<>()]*(?:\([^\s<>()]*\)[^\s<>()]*)*)>?(?:\s+"[^"\n]*")?\s*\)|\bhttps?:\/\/[^\s<>"]*[^\s<>".,:;!?'")\]*_]/gi;

type Parent = Element | DocumentFragment;

/** Renders Markdown text as a fragment of safe DOM nodes. */
export function renderMarkdown(text: string, doc: Document = document): DocumentFragment {
  const frag = doc.createDocumentFragment();
  blocks(text.replace(/\r\n?/g, "\n").split("\n"), frag, doc);
  return frag;
}

/** Returns the URL when it is an absolute http or https URL, else null. */
export function safeUrl(raw: string): string | null {
  if (!/^https?:\/\//i.test(raw)) return null;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, parent: Parent): HTMLElementTagNameMap[K] {
  return parent.appendChild(doc.createElement(tag));
}

const blank = (line: string) => line.trim() === "";

function blocks(lines: string[], parent: Parent, doc: Document): void {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (blank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const body: string[] = [];
      for (i++; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.trimStart().startsWith(marker) && l.trim().replace(/[`~]/g, "") === "") break;
        body.push(l);
      }
      i++; // the closing fence (or the end: a reply still streaming shows its open block as code)
      const code = el(doc, "code", el(doc, "pre", parent));
      code.textContent = body.join("\n");
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      inline(heading[1]!, el(doc, "strong", el(doc, "p", parent)), doc);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      el(doc, "hr", parent);
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i]!); i++) body.push(lines[i]!.replace(QUOTE, ""));
      blocks(body, el(doc, "blockquote", parent), doc);
      continue;
    }
    if (BULLET.test(line) || ORDERED.test(line)) {
      i = list(lines, i, parent, doc);
      continue;
    }
    const para: string[] = [];
    for (; i < lines.length; i++) {
      const l = lines[i]!;
      if (blank(l) || (para.length > 0 && startsBlock(l))) break;
      para.push(l.trim());
    }
    inline(para.join("\n"), el(doc, "p", parent), doc);
  }
}

function startsBlock(line: string): boolean {
  return [FENCE, HEADING, QUOTE, BULLET, ORDERED].some((re) => re.test(line)) || RULE.test(line);
}

/** Renders the list starting at lines[start]; returns the index of the first line after it. */
function list(lines: string[], start: number, parent: Parent, doc: Document): number {
  const ordered = !BULLET.test(lines[start]!);
  const marker = ordered ? ORDERED : BULLET;
  const first = marker.exec(lines[start]!)!;
  const listEl = el(doc, ordered ? "ol" : "ul", parent);
  if (ordered && first[1] !== "1") listEl.setAttribute("start", String(Number(first[1])));
  let i = start;
  let loose = false;
  const items: string[][] = [];
  while (i < lines.length) {
    const m = marker.exec(lines[i]!);
    if (!m) break;
    const indent = m[0].length;
    const item = [lines[i]!.slice(indent)];
    for (i++; i < lines.length; i++) {
      const l = lines[i]!;
      if (blank(l)) {
        // A blank line continues the item only when indented content follows it.
        const next = lines[i + 1];
        if (next !== undefined && !blank(next) && leading(next) >= Math.min(indent, 2) && !marker.test(next)) {
          item.push("");
          loose = true;
          continue;
        }
        if (next !== undefined && marker.test(next)) loose = true;
        break;
      }
      if (leading(l) >= 2) item.push(l.slice(Math.min(indent, leading(l))));
      else if (marker.test(l) || startsBlock(l)) break;
      else item.push(l); // a lazy continuation line
    }
    items.push(item);
    if (i < lines.length && blank(lines[i]!)) i++;
  }
  for (const item of items) {
    const li = el(doc, "li", listEl);
    const simple = !loose && !item.slice(1).some((l) => blank(l) || startsBlock(l.trimStart()));
    if (simple) inline(item.map((l) => l.trim()).join("\n"), li, doc);
    else blocks(item, li, doc);
  }
  return i;
}

function leading(line: string): number {
  return line.length - line.trimStart().length;
}

/** Renders inline Markdown into parent; inside a link (inLink) no further links are made. */
function inline(text: string, parent: Parent, doc: Document, inLink = false): void {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index;
    if (at < last) continue;
    plain(text.slice(last, at), parent, doc);
    last = at + m[0].length;
    const [whole, , code, bold1, bold2, em1, em2, label, href] = m;
    if (code !== undefined) {
      el(doc, "code", parent).textContent = code.replace(/\n/g, " ").replace(/^ (.*\S.*) $/, "$1");
    } else if (bold1 !== undefined || bold2 !== undefined) {
      inline((bold1 ?? bold2)!, el(doc, "strong", parent), doc, inLink);
    } else if (em1 !== undefined || em2 !== undefined) {
      inline((em1 ?? em2)!, el(doc, "em", parent), doc, inLink);
    } else if (label !== undefined) {
      const url = inLink ? null : safeUrl(href ?? "");
      if (url) inline(label, link(url, parent, doc), doc, true);
      else inline(label, parent, doc, inLink); // an unsafe or relative link keeps only its words
    } else if (inLink) {
      parent.appendChild(doc.createTextNode(whole));
    } else {
      link(safeUrl(whole) ?? "", parent, doc).textContent = whole;
    }
  }
  plain(text.slice(last), parent, doc);
}

function link(url: string, parent: Parent, doc: Document): HTMLElement {
  if (!url) return parent.appendChild(doc.createElement("span"));
  const a = el(doc, "a", parent);
  a.setAttribute("href", url);
  a.setAttribute("target", "_blank");
  a.setAttribute("rel", "noopener noreferrer nofollow");
  return a;
}

/** Text with its newlines as <br>. */
function plain(text: string, parent: Parent, doc: Document): void {
  text.split("\n").forEach((part, i) => {
    if (i > 0) el(doc, "br", parent);
    if (part) parent.appendChild(doc.createTextNode(part));
  });
}
