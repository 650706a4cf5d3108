import { mount } from "../../lib/mount";
import { clearSessionHint, getCsrfToken } from "../../lib/session";
import { LoginPage } from "./LoginPage";

const reason = new URLSearchParams(window.location.search).get("reason");
if (getCsrfToken() && !reason) {
  // Someone already signed in goes straight on (an ended session comes back here with ?reason=expired).
  window.location.replace("/dashboard");
} else {
  // Logging in anew: a leftover sign-in hint must not make a failed login look like an ended session.
  clearSessionHint();
  mount(<LoginPage reason={reason} />);
}
