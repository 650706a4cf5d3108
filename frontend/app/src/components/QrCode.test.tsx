// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { QrCode, qrPath } from "./QrCode";

describe("QrCode", () => {
  it("draws an otpauth URI's QR code in the page, as a labelled image", () => {
    const uri = "otpauth://totp/Chatbot%20Platform:ada@example.com?algorithm=SHA1&digits=6&issuer=Chatbot%20Platform&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const { size, path } = qrPath(uri);
    expect(size).toBeGreaterThanOrEqual(21);
    expect((size - 17) % 4).toBe(0); // a QR code is 17 + 4×version modules wide
    expect(path.startsWith("M0 0h1v1h-1z")).toBe(true); // the top-left finder pattern is dark
    render(<QrCode text={uri} label="QR code of your key" />);
    const img = screen.getByRole("img", { name: "QR code of your key" });
    expect(img.querySelector("path")?.getAttribute("d")).toBe(path);
  });
});
