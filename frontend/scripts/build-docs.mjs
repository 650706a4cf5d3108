// Adds the offline API docs to dist/: Swagger UI (/docs) and ReDoc (/redoc), each a small HTML page plus
// content-hashed assets in dist/assets/, so the Go server caches them like Vite's own. Runs after `vite build`
// (which empties dist/). Output depends only on the inputs: rebuilding gives identical bytes.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
const require = createRequire(import.meta.url);
const swaggerDir = dirname(require.resolve("swagger-ui-dist/package.json"));
const redocDir = dirname(require.resolve("redoc/package.json"));

/** Replaces `from` (which must occur exactly once, so an upgrade that moves it fails loudly) with `to`. */
function patchOnce(text, from, to) {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`build-docs: expected one ${JSON.stringify(from)}, found ${parts.length - 1}`);
  return parts.join(to);
}

/** Copies a file into dist/assets/ under a name with its content hash; returns its URL path. */
function emit(source, name, patch = (text) => text) {
  // The source maps are not shipped: drop the comments that would make devtools request them.
  const text = patch(readFileSync(source, "utf8").replace(/\n?\/[/*]# sourceMappingURL=[^\n]*\s*$/, "\n"));
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 10);
  const [base, ext] = name.split(/\.(?=[^.]+$)/);
  const file = `${base}-${hash}.${ext}`;
  writeFileSync(join(dist, "assets", file), text);
  return `/assets/${file}`;
}

function page({ title, current, styles, body, scripts }) {
  const link = (href, label) =>
    `<a href="${href}"${href === current ? ' aria-current="page"' : ""}>${label}</a>`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${title} · Chatbot Platform API</title>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
${styles.map((href) => `    <link rel="stylesheet" href="${href}" />`).join("\n")}
  </head>
  <body>
    <nav class="docs-bar" aria-label="Documentation">
      <a class="brand" href="/dashboard"><img src="/favicon.svg" alt="" width="22" height="22" />Chatbot Platform API</a>
      ${link("/docs", "Swagger UI")}
      ${link("/redoc", "ReDoc")}
      <a href="/openapi.yaml">openapi.yaml</a>
      <a href="/dashboard">Dashboard</a>
    </nav>
    ${body}
${scripts.map((src) => `    <script src="${src}"></script>`).join("\n")}
  </body>
</html>
`;
}

const docsCss = emit(join(root, "docs/docs.css"), "docs.css");

writeFileSync(
  join(dist, "docs.html"),
  page({
    title: "Swagger UI",
    current: "/docs",
    styles: [emit(join(swaggerDir, "swagger-ui.css"), "swagger-ui.css"), docsCss],
    body: '<main id="swagger-ui"></main>',
    scripts: [
      emit(join(swaggerDir, "swagger-ui-bundle.js"), "swagger-ui-bundle.js"),
      emit(join(root, "docs/swagger-init.js"), "swagger-init.js"),
    ],
  }),
);

writeFileSync(
  join(dist, "redoc.html"),
  page({
    title: "ReDoc",
    current: "/redoc",
    styles: [docsCss],
    body: '<main id="redoc"></main>',
    scripts: [
      // ReDoc's sidebar always shows a logo from its CDN (no option turns it off): use ours, so the page
      // requests nothing from elsewhere.
      emit(join(redocDir, "bundles/redoc.standalone.js"), "redoc.standalone.js", (text) =>
        patchOnce(text, "https://cdn.redoc.ly/redoc/logo-mini.svg", "/favicon.svg"),
      ),
      emit(join(root, "docs/redoc-init.js"), "redoc-init.js"),
    ],
  }),
);
