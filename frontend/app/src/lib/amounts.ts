// Typed amounts of the budget and price forms: dollars and whole token counts, "" meaning none.

/** A typed amount of dollars: digits with an optional point and cents, an optional "$"; undefined if not one. */
export function parseUSD(text: string, max: number): number | undefined {
  const t = text.trim().replace(/^\$\s*/, "").replace(/,/g, "");
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 && n <= max ? n : undefined;
}

/** A typed whole number from 1 to max (thousands separators allowed); undefined if not one. */
export function parseWhole(text: string, max: number): number | undefined {
  const t = text.trim().replace(/[,_\s]/g, "");
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) && n >= 1 && n <= max ? n : undefined;
}

const usdProblem = (label: string, max: number) =>
  `${label}: an amount in US dollars from 0 to ${max.toLocaleString("en-US")}, or empty for none.`;
const tokensProblem = (label: string, max: number) =>
  `${label}: a whole number of tokens from 1 to ${max.toLocaleString("en-US")}, or empty for none.`;

/** What is wrong with a typed amount ("" is fine: none); undefined when nothing. */
export function usdFieldProblem(label: string, text: string, max: number): string | undefined {
  return text.trim() === "" || parseUSD(text, max) !== undefined ? undefined : usdProblem(label, max);
}

/** What is wrong with a typed token count ("" is fine: none); undefined when nothing. */
export function tokensFieldProblem(label: string, text: string, max: number): string | undefined {
  return text.trim() === "" || parseWhole(text, max) !== undefined ? undefined : tokensProblem(label, max);
}
