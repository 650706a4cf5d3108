import { describe, expect, it } from "vitest";
import { passwordRules } from "./password";

const met = (pw: string) => passwordRules(pw).map((r) => r.met);

describe("passwordRules", () => {
  it("checks length 8–128, a letter and a digit", () => {
    expect(met("short1")).toEqual([false, true, true]);
    expect(met("longenough")).toEqual([true, true, false]);
    expect(met("12345678")).toEqual([true, false, true]);
    expect(met("SecurePass123")).toEqual([true, true, true]);
    expect(met(`a1${"x".repeat(127)}`)).toEqual([false, true, true]);
  });
});
