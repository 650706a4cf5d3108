import { describe, expect, it } from "vitest";
import { releaseName, sortCounts, upShare } from "./feedback";

describe("feedback helpers", () => {
  it("names releases and the draft", () => {
    expect(releaseName(null)).toBe("Draft");
    expect(releaseName(4)).toBe("Release 4");
  });

  it("gives the share rated up, or a dash without ratings", () => {
    expect(upShare({ up: 3, down: 1 })).toBe("75 %");
    expect(upShare({ up: 0, down: 2 })).toBe("0 %");
    expect(upShare({ up: 0, down: 0 })).toBe("–");
  });

  it("puts the newest release first and the draft last", () => {
    const sorted = sortCounts([
      { release: null, up: 1, down: 0 },
      { release: 2, up: 0, down: 1 },
      { release: 5, up: 2, down: 2 },
    ]);
    expect(sorted.map((c) => c.release)).toEqual([5, 2, null]);
  });
});
