import type { Price } from "@chatbot-platform/sdk";
import { parseUSD } from "./amounts";

/** Limit of Price in api/openapi.yaml: USD per million tokens. */
export const PRICE_MAX = 100_000;

/** The custom price form as typed, USD per million tokens; all empty: no custom price. */
export interface PriceDraft {
  input: string;
  cachedInput: string;
  output: string;
}

export function priceDraft(price: Price | null | undefined): PriceDraft {
  return {
    input: price ? String(price.input) : "",
    cachedInput: price?.cached_input === undefined ? "" : String(price.cached_input),
    output: price ? String(price.output) : "",
  };
}

const isEmpty = (d: PriceDraft) => d.input.trim() === "" && d.cachedInput.trim() === "" && d.output.trim() === "";

/** What is wrong with a draft (empty when it can be saved; an all-empty draft removes the price). */
export function priceProblems(draft: PriceDraft): string[] {
  if (isEmpty(draft)) return [];
  const problems: string[] = [];
  const amount = (label: string, text: string, required: boolean) => {
    if (text.trim() === "") {
      if (required) problems.push(`${label}: required for a custom price (or clear all three to remove it).`);
    } else if (parseUSD(text, PRICE_MAX) === undefined) {
      problems.push(`${label}: US dollars per million tokens, from 0 to ${PRICE_MAX.toLocaleString("en-US")}.`);
    }
  };
  amount("Input", draft.input, true);
  amount("Cached input", draft.cachedInput, false);
  amount("Output", draft.output, true);
  return problems;
}

/** The `custom_price` of PATCH /projects/{id} for a draft without problems: null removes it. */
export function priceBody(draft: PriceDraft): Price | null {
  if (isEmpty(draft)) return null;
  const price: Price = { input: parseUSD(draft.input, PRICE_MAX) ?? 0, output: parseUSD(draft.output, PRICE_MAX) ?? 0 };
  if (draft.cachedInput.trim() !== "") price.cached_input = parseUSD(draft.cachedInput, PRICE_MAX) ?? 0;
  return price;
}

/** Whether a draft says the same as the saved price (nothing to save). */
export function samePrice(saved: Price | null | undefined, draft: PriceDraft): boolean {
  const body = priceBody(draft);
  if (!saved || !body) return !saved && !body;
  const cached = (p: Price) => p.cached_input ?? null;
  return saved.input === body.input && saved.output === body.output && cached(saved) === cached(body);
}
