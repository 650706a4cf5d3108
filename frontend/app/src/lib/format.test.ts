import { describe, expect, it } from "vitest";
import { formatBytes, formatCompact, formatCount, formatMs, formatUSD, formatUTCDate } from "./format";

describe("formatUSD", () => {
  it("shows cents from a cent up, with thousands separators", () => {
    expect(formatUSD(0)).toBe("$0.00");
    expect(formatUSD(0.01)).toBe("$0.01");
    expect(formatUSD(12.5)).toBe("$12.50");
    expect(formatUSD(1234.567)).toBe("$1,234.57");
  });

  it("never shows a fraction of a cent as free", () => {
    expect(formatUSD(0.000417)).toBe("$0.00042");
    expect(formatUSD(0.0000015)).toBe("$0.0000015");
    expect(formatUSD(Number.NaN)).toBe("$0.00");
  });
});

describe("token and time formats", () => {
  it("counts with separators, compactly where space is short", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(0)).toBe("0");
    expect(formatCompact(950)).toBe("950");
    expect(formatCompact(12_345)).toBe("12.3K");
    expect(formatCompact(1_500_000)).toBe("1.5M");
  });

  it("shows milliseconds below a second, then seconds", () => {
    expect(formatMs(0)).toBe("0 ms");
    expect(formatMs(849.6)).toBe("850 ms");
    expect(formatMs(1234)).toBe("1.2 s");
    expect(formatMs(15_400)).toBe("15 s");
  });

  it("shows a budget's reset as its UTC day", () => {
    expect(formatUTCDate("2027-01-01T00:00:00Z")).toBe("Jan 1, 2027");
    expect(formatUTCDate("nonsense")).toBe("nonsense");
  });

  it("still formats sizes", () => {
    expect(formatBytes(2048)).toBe("2.0 KB");
  });
});
