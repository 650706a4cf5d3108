import type { ReactNode } from "react";

interface AlertProps {
  kind?: "error" | "info" | "success";
  children: ReactNode;
  /** Shows a Retry button that calls this. */
  onRetry?: () => void;
}

/** A message box; errors are announced to screen readers as they appear. */
export function Alert({ kind = "error", children, onRetry }: AlertProps) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      <div className="alert-text">{children}</div>
      {onRetry && (
        <button type="button" className="button small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
