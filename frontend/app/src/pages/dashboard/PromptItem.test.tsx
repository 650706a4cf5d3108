// @vitest-environment jsdom
import type { Prompt } from "@chatbot-platform/sdk";
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PromptItem } from "./PromptItem";

afterEach(cleanup);

const XSS = "<img src=x onerror=alert(1)>";

describe("PromptItem", () => {
  it("shows a prompt's name and content as literal text", () => {
    const prompt: Prompt = {
      id: 1,
      project_id: 1,
      name: XSS,
      content: `<script>alert(1)</script>`,
      position: 0,
      enabled: true,
      created_at: "",
      updated_at: "",
    };
    const noop = vi.fn();
    const { container, getByText } = render(
      <PromptItem prompt={prompt} first last disabled={false} onMove={noop} onToggle={noop} onSave={vi.fn()} onDelete={noop} />,
    );
    expect(container.querySelector("img, script")).toBeNull();
    expect(getByText(XSS).className).toBe("prompt-name");
    expect(getByText("<script>alert(1)</script>")).toBeTruthy();
  });
});
