import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Alert } from "../../components/Alert";
import { api, errorMessage, unwrap } from "../../lib/api";
import { passwordRules } from "../../lib/password";

export type RecoverStep = "forgot" | "reset" | "verify";

/** Forgot password (mail a link), reset password (the link's page), verify email (the link's page). */
export function RecoverPage({ step, token }: { step: RecoverStep; token: string }) {
  return (
    <main className="auth-page">
      <section className="auth-card" aria-labelledby="auth-title">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <span>Chatbot Platform</span>
        </div>
        {step === "forgot" && <Forgot />}
        {step === "reset" && <Reset token={token} />}
        {step === "verify" && <Verify token={token} />}
        <p className="auth-footer muted">
          <a href="/">Back to log in</a>
        </p>
      </section>
    </main>
  );
}

function Forgot() {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string>();
  const [error, setError] = useState<string>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      setSent((await unwrap(api.client.POST("/users/password-reset", { body: { email: email.trim() } }))).message);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }
  return (
    <>
      <h1 id="auth-title">Forgot your password?</h1>
      <p className="muted">Enter your account's email address and we will mail you a link to choose a new password.</p>
      {sent && <Alert kind="success">{sent}</Alert>}
      {error && <Alert>{error}</Alert>}
      {!sent && (
        <form className="stack" onSubmit={submit}>
          <div className="field">
            <label htmlFor="email">Email</label>
            <input id="email" type="email" autoComplete="username" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <button type="submit" className="button primary block" disabled={busy}>
            {busy ? "Please wait…" : "Email me a link"}
          </button>
        </form>
      )}
    </>
  );
}

function Reset({ token }: { token: string }) {
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string>();
  const rules = passwordRules(password);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    if (!rules.every((r) => r.met)) {
      setError("The password does not meet the rules below.");
      return;
    }
    setBusy(true);
    try {
      await unwrap(api.client.POST("/users/password-reset/confirm", { body: { token, new_password: password } }));
      setDone(true);
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  }
  if (!token) return <Missing what="reset" />;
  if (done) {
    return (
      <>
        <h1 id="auth-title">Password changed</h1>
        <Alert kind="success">Your password is changed and every session is signed out. Log in with the new password.</Alert>
        <a className="button primary block" href="/">
          Log in
        </a>
      </>
    );
  }
  return (
    <>
      <h1 id="auth-title">Choose a new password</h1>
      {error && <Alert>{error}</Alert>}
      {error?.includes("token") && (
        <p className="small">
          <a href="/forgot-password">Ask for a new link</a>
        </p>
      )}
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor="new-password">New password</label>
          <input id="new-password" type="password" autoComplete="new-password" required maxLength={128} aria-describedby="rules" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <ul className="rules" id="rules" aria-label="Password rules">
          {rules.map((rule) => (
            <li key={rule.label} className={rule.met ? "met" : undefined}>
              <span aria-hidden="true">{rule.met ? "✓" : "•"}</span> {rule.label}
              <span className="sr-only">{rule.met ? " (met)" : " (not met yet)"}</span>
            </li>
          ))}
        </ul>
        <button type="submit" className="button primary block" disabled={busy}>
          {busy ? "Please wait…" : "Set new password"}
        </button>
      </form>
    </>
  );
}

function Verify({ token }: { token: string }) {
  const [state, setState] = useState<{ done?: boolean; error?: string }>({});
  const started = useRef(false);
  useEffect(() => {
    if (!token || started.current) return;
    started.current = true; // a link works once: React's development double effects must not spend it twice
    unwrap(api.client.POST("/users/verify-email/confirm", { body: { token } }))
      .then(() => setState({ done: true }))
      .catch((err) => setState({ error: errorMessage(err) }));
  }, [token]);
  if (!token) return <Missing what="verification" />;
  let body: ReactNode = <p role="status">Verifying your address…</p>;
  if (state.done) body = <Alert kind="success">Your email address is verified. Thank you!</Alert>;
  if (state.error) body = <Alert>{state.error} You can ask for a new link on your Account page.</Alert>;
  return (
    <>
      <h1 id="auth-title">Verify your email address</h1>
      {body}
    </>
  );
}

function Missing({ what }: { what: string }) {
  return (
    <>
      <h1 id="auth-title">This link is incomplete</h1>
      <Alert>The {what} link has no token. Open the whole link from the email, or ask for a new one.</Alert>
    </>
  );
}
