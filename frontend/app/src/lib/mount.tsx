import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import "../styles.css";
import { applyTheme, getTheme } from "./theme";

/** Renders a page into #root. */
export function mount(page: ReactNode): void {
  applyTheme(getTheme());
  const root = document.getElementById("root");
  if (!root) throw new Error("missing #root");
  createRoot(root).render(<StrictMode>{page}</StrictMode>);
}
