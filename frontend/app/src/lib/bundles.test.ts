import { describe, expect, it } from "vitest";
import { attachmentName } from "./bundles";

describe("attachmentName", () => {
  it("takes the file name the server gives, or the fallback", () => {
    expect(attachmentName('attachment; filename="support-bot.bundle.json"', "x.json")).toBe("support-bot.bundle.json");
    expect(attachmentName(null, "project-3.bundle.json")).toBe("project-3.bundle.json");
    expect(attachmentName("attachment", "project-3.bundle.json")).toBe("project-3.bundle.json");
  });
});
