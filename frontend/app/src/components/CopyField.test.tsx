// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CopyField } from "./CopyField";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("CopyField", () => {
  it("copies the value with the clipboard API", async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    render(<CopyField label="Secret key" value="cb_sk_123" />);
    fireEvent.click(screen.getByRole("button", { name: "Copy Secret key" }));
    await screen.findByText("Copied to the clipboard.");
    expect(writeText).toHaveBeenCalledWith("cb_sk_123");
    // The accessible name starts with the word shown (axe: label-content-name-mismatch).
    expect(screen.getByRole("button", { name: "Copied Secret key" }).textContent).toBe("Copied");
  });

  it("selects the text instead when the clipboard is refused", async () => {
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText: vi.fn(async () => Promise.reject(new Error("denied"))) } });
    render(<CopyField label="Secret key" value="cb_sk_123" />);
    fireEvent.click(screen.getByRole("button", { name: "Copy Secret key" }));
    await screen.findByText(/press Ctrl\+C/);
    await waitFor(() => expect(window.getSelection()?.rangeCount).toBe(1));
    expect(window.getSelection()?.getRangeAt(0).toString()).toBe("cb_sk_123");
    expect(document.activeElement).toBe(screen.getByLabelText("Secret key"));
  });
});
