import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Alert } from "../../components/Alert";
import { api, ApiError, errorMessage, unwrap } from "../../lib/api";
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
  // Two-factor sign-in: the password was right and a code is needed (POST /users/session/mfa).
  const [mfaToken, setMfaToken] = useState<string>();

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
      if (user && "mfa_required" in user) {
        setMfaToken(user.mfa_token);
      } else if (user) {
        window.location.assign("/dashboard");
        return; // Keep the form disabled while the next page loads.
      }
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }

  if (mfaToken) {
    return (
      <AuthCard title="Two-factor sign-in" lead="One more step: your account asks for a code from your authenticator app.">
        <SecondFactor
          mfaToken={mfaToken}
          onRestart={(why) => {
            setMfaToken(undefined);
            setPassword("");
            setError(why);
          }}
        />
      </AuthCard>
    );
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

function AuthCard({ title, lead, children }: { title: string; lead: string; children: ReactNode }) {
  return (
    <main className="auth-page">
      <section className="auth-card" aria-labelledby="auth-title">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <span>Chatbot Platform</span>
        </div>
        <h1 id="auth-title">{title}</h1>
        <p className="muted">{lead}</p>
        {children}
      </section>
    </main>
  );
}

/** The second step of a two-factor sign-in: the app's 6-digit code, or a recovery code. */
function SecondFactor({ mfaToken, onRestart }: { mfaToken: string; onRestart: (why: string) => void }) {
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => inputRef.current?.focus(), [recovery]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const body = recovery ? { mfa_token: mfaToken, recovery_code: code.trim() } : { mfa_token: mfaToken, code: code.replace(/\s+/g, "") };
      await unwrap(api.client.POST("/users/session/mfa", { body }));
      window.location.assign("/dashboard");
      return;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && err.detail.includes("mfa_token")) {
        onRestart("The sign-in took too long. Please log in again.");
        return;
      }
      setError(errorMessage(err));
      setCode("");
      inputRef.current?.focus();
    }
    setBusy(false);
  }

  return (
    <>
      {error && <Alert>{error}</Alert>}
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor="mfa-code">{recovery ? "Recovery code" : "6-digit code from your authenticator app"}</label>
          <input
            id="mfa-code"
            ref={inputRef}
            inputMode={recovery ? "text" : "numeric"}
            autoComplete="one-time-code"
            required
            maxLength={recovery ? 32 : 9}
            pattern={recovery ? undefined : "\\s*(\\d\\s*){6}"}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </div>
        <button type="submit" className="button primary block" disabled={busy}>
          {busy ? "Please wait…" : "Verify and log in"}
        </button>
      </form>
      <p className="auth-footer muted">
        <button type="button" className="button small ghost" onClick={() => (setRecovery((v) => !v), setCode(""), setError(undefined))}>
          {recovery ? "Use a code from the app" : "Lost your phone? Use a recovery code"}
        </button>
        {" · "}
        <button type="button" className="button small ghost" onClick={() => onRestart("")}>
          Back
        </button>
      </p>
    </>
  );
}
