import { mount } from "../../lib/mount";
import { RecoverPage, type RecoverStep } from "./RecoverPage";

// One page for the three account links: asking for a reset link, following it, and verifying an address.
// The links carry their token in the fragment (never sent to a server); it is read once and dropped from
// the address bar so it does not linger in the history.
const steps: Record<string, RecoverStep> = {
  "/forgot-password": "forgot",
  "/reset-password": "reset",
  "/verify-email": "verify",
};
const step = steps[window.location.pathname] ?? "forgot";
const token = new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
mount(<RecoverPage step={step} token={token} />);
