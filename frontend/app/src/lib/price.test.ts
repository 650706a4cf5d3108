import { describe, expect, it } from "vitest";
import { priceBody, priceDraft, priceProblems, samePrice } from "./price";

describe("custom price form", () => {
  it("shows a saved price, and none as empty fields", () => {
    expect(priceDraft(null)).toEqual({ input: "", cachedInput: "", output: "" });
    expect(priceDraft({ input: 0.15, output: 0.6 })).toEqual({ input: "0.15", cachedInput: "", output: "0.6" });
    expect(priceDraft({ input: 2, cached_input: 0.5, output: 8 })).toEqual({ input: "2", cachedInput: "0.5", output: "8" });
  });

  it("sends the price, with cached input only when given; all empty sends null (removes it)", () => {
    expect(priceBody({ input: "0.15", cachedInput: "", output: "0.60" })).toEqual({ input: 0.15, output: 0.6 });
    expect(priceBody({ input: "2", cachedInput: "0.5", output: "8" })).toEqual({ input: 2, cached_input: 0.5, output: 8 });
    expect(priceBody({ input: " ", cachedInput: "", output: "" })).toBeNull();
  });

  it("asks for input and output together, within the server's limits", () => {
    expect(priceProblems({ input: "", cachedInput: "", output: "" })).toEqual([]);
    expect(priceProblems({ input: "1", cachedInput: "", output: "" })).toEqual([
      "Output: required for a custom price (or clear all three to remove it).",
    ]);
    expect(priceProblems({ input: "-1", cachedInput: "x", output: "100001" })).toHaveLength(3);
  });

  it("knows when nothing changed", () => {
    expect(samePrice(null, { input: "", cachedInput: "", output: "" })).toBe(true);
    expect(samePrice({ input: 1, output: 2 }, { input: "1.0", cachedInput: "", output: "2" })).toBe(true);
    expect(samePrice({ input: 1, output: 2 }, { input: "1", cachedInput: "1", output: "2" })).toBe(false);
    expect(samePrice({ input: 1, output: 2 }, { input: "", cachedInput: "", output: "" })).toBe(false);
  });
});
