import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Alert } from "../../components/Alert";
import { api, errorMessage, unwrap } from "../../lib/api";
import { passwordRules } from "../../lib/password";

type Mode = "login" | "register";

const REASONS: Record<string, string> = {
  expired: "Your session has expired. Please log in again.",
  "signed-out": "You have been logged out.",
  required: "Please log in to continue.",
};

/** Log in or register (switchable); a successful login or registration starts a cookie session and opens the dashboard. */
export function LoginPage({ reason }: { reason: string | null }) {
  const [mode, setMode] = useState<Mode>("login");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [showPassword, setShowPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string | undefined>(reason ? REASONS[reason] : undefined);
  const passwordRef = useRef<HTMLInputElement>(null);
  const rulesId = useId();

  useEffect(() => {
    // Drop ?reason= so a reload does not repeat the notice.
    if (reason) window.history.replaceState(null, "", "/");
  }, [reason]);

  const rules = passwordRules(password);
  const registering = mode === "register";

  function switchMode(next: Mode) {
    setMode(next);
    setError(undefined);
    setNotice(undefined);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setNotice(undefined);
    if (registering && !rules.every((r) => r.met)) {
      setError("The password does not meet the rules below.");
      passwordRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const body = { email: email.trim(), password };
      if (registering) await unwrap(api.client.POST("/users/register", { body }));
      // A new account is signed in at once: registering then logging in again would only be a chore.
      const user = await unwrap(api.client.POST("/users/session", { body })).catch((err: unknown) => {
        if (!registering) throw err;
        setMode("login");
        setNotice("Your account was created. Log in to continue.");
        return undefined;
      });
      if (user) {
        window.location.assign("/dashboard");
        return; // Keep the form disabled while the next page loads.
      }
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  return (
    <main className="auth-page">
      <section className="auth-card" aria-labelledby="auth-title">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <span>Chatbot Platform</span>
        </div>
        <h1 id="auth-title">{registering ? "Create your account" : "Welcome back"}</h1>
        <p className="muted">
          {registering ? "Build chatbots with your own prompts and knowledge files." : "Log in to manage and chat with your bots."}
        </p>

        <div className="segmented" role="group" aria-label="Choose">
          <button type="button" aria-pressed={!registering} onClick={() => switchMode("login")}>
            Log in
          </button>
          <button type="button" aria-pressed={registering} onClick={() => switchMode("register")}>
            Register
          </button>
        </div>

        {notice && <Alert kind={reason === "expired" && !error ? "info" : "success"}>{notice}</Alert>}
        {error && <Alert>{error}</Alert>}

        <form className="stack" onSubmit={submit}>
          <div className="field">
            <label htmlFor="email">Email</label>
            <input
              id="email"
              type="email"
              autoComplete={registering ? "email" : "username"}
              required
              maxLength={254}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <div className="input-with-button">
              <input
                id="password"
                ref={passwordRef}
                type={showPassword ? "text" : "password"}
                autoComplete={registering ? "new-password" : "current-password"}
                required
                maxLength={128}
                aria-describedby={registering ? rulesId : undefined}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
              <button
                type="button"
                className="button small ghost"
                aria-pressed={showPassword}
                onClick={() => setShowPassword((v) => !v)}
              >
                {showPassword ? "Hide" : "Show"}
              </button>
            </div>
          </div>
          {registering && (
            <ul className="rules" id={rulesId} aria-label="Password rules">
              {rules.map((rule) => (
                <li key={rule.label} className={rule.met ? "met" : undefined}>
                  <span aria-hidden="true">{rule.met ? "✓" : "•"}</span> {rule.label}
                  <span className="sr-only">{rule.met ? " (met)" : " (not met yet)"}</span>
                </li>
              ))}
            </ul>
          )}
          <button type="submit" className="button primary block" disabled={busy}>
            {busy ? "Please wait…" : registering ? "Create account" : "Log in"}
          </button>
        </form>
        {!registering && (
          <p className="small">
            <a href="/forgot-password">Forgot your password?</a>
          </p>
        )}
        <p className="auth-footer muted">
          <a href="/docs">API documentation</a> · <a href="/redoc">ReDoc</a>
        </p>
      </section>
    </main>
  );
}
