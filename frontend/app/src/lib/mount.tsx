import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import "../styles.css";

/** Renders a page into #root. */
export function mount(page: ReactNode): void {
  const root = document.getElementById("root");
  if (!root) throw new Error("missing #root");
  createRoot(root).render(<StrictMode>{page}</StrictMode>);
}
