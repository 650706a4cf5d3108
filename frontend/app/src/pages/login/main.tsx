import { mount } from "../../lib/mount";
import { clearToken, getToken } from "../../lib/session";
import { LoginPage } from "./LoginPage";

const reason = new URLSearchParams(window.location.search).get("reason");
if (getToken() && !reason) {
  // Someone already signed in goes straight on (an expired token comes back here with ?reason=expired).
  window.location.replace("/dashboard");
} else {
  // Logging in anew: a leftover token must not ride along on the login request.
  clearToken();
  mount(<LoginPage reason={reason} />);
}
