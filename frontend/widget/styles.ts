// The widget's only styles, adopted by its shadow root as a constructed stylesheet: a host page whose CSP
// forbids inline styles still shows it, and neither side's CSS leaks into the other. `--a` is the accent
// colour (data-color), set through the CSSOM.
export const STYLES = `
:host{all:initial}
*{box-sizing:border-box}
.w{--a:#2563eb;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827}
[hidden]{display:none!important}
button{font:inherit;cursor:pointer}
:focus-visible{outline:2px solid var(--a);outline-offset:2px}
.bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;
background:var(--a);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;padding:0}
.bubble svg{width:26px;height:26px;fill:currentColor}
.bubble[aria-expanded=true] .io,.bubble[aria-expanded=false] .ic{display:none}
.panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:380px;height:min(600px,calc(100vh - 108px));
background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}
header{display:flex;align-items:center;gap:4px;padding:8px 8px 8px 16px;background:var(--a);color:#fff}
h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
header button{background:none;border:0;color:inherit;width:34px;height:34px;border-radius:8px;display:grid;place-items:center;padding:0}
header button:hover{background:rgba(255,255,255,.18)}
header svg{width:18px;height:18px;fill:currentColor}
header :focus-visible{outline-color:#fff}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px;background:#f9fafb}
.msg{max-width:85%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere}
.user{align-self:flex-end;background:var(--a);color:#fff;white-space:pre-wrap;border-bottom-right-radius:4px}
.bot{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;border-bottom-left-radius:4px}
.md>*,.md li>*{margin:0 0 8px}.md>:last-child,.md li>:last-child{margin-bottom:0}
.md ul,.md ol{padding-left:20px}
.md pre{background:#111827;color:#f9fafb;padding:8px 10px;border-radius:6px;overflow-x:auto;white-space:pre}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
:not(pre)>code{background:#f3f4f6;padding:1px 4px;border-radius:4px}
blockquote{border-left:3px solid #d1d5db;padding-left:8px;color:#4b5563;margin:0}
hr{border:0;border-top:1px solid #e5e7eb}
.md a{color:#1d4ed8;text-decoration:underline}
.wait .md::after{content:"\\2022\\2022\\2022";letter-spacing:2px;color:#9ca3af;animation:p 1s infinite}
@keyframes p{50%{opacity:.3}}
.note{font-size:12px;color:#6b7280;margin-top:4px}
.cites{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px}
.chip,.cites summary{display:inline-block;font-size:12px;background:#eef2ff;color:#3730a3;border-radius:999px;padding:2px 8px}
.cites summary{cursor:pointer;list-style:none}
.cites summary::-webkit-details-marker{display:none}
.cites details[open]{flex-basis:100%}
.cites blockquote{margin-top:4px;font-size:12px}
.rate{display:flex;gap:4px;margin-top:6px}
.rate button{border:1px solid #e5e7eb;background:#fff;color:#4b5563;border-radius:999px;padding:3px 8px;line-height:0;opacity:.7}
.rate svg{width:14px;height:14px;fill:currentColor}.rate .down{transform:scaleY(-1)}
.rate button:hover,.rate [aria-pressed=true]{opacity:1}
.rate [aria-pressed=true]{border-color:var(--a);color:var(--a);background:#eef2ff}
.err{margin:0;padding:8px 16px;background:#fef2f2;color:#991b1b;font-size:13px;border-top:1px solid #fecaca}
form{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff;align-items:flex-end;margin:0}
textarea{flex:1;resize:none;font:inherit;color:inherit;background:#fff;border:1px solid #d1d5db;border-radius:10px;
padding:9px 10px;min-height:40px;max-height:140px;field-sizing:content;margin:0}
form button{border:0;border-radius:10px;padding:0 14px;height:40px;background:var(--a);color:#fff;font-weight:600}
form button:disabled{opacity:.5;cursor:default}
form .stop{background:#374151}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@media (max-width:480px){.panel{inset:0;width:auto;height:auto;border-radius:0}.open .bubble{display:none}}
@media (prefers-reduced-motion:reduce){.wait .md::after{animation:none}}
`;
