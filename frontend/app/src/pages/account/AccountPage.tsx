import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { Session, User } from "@chatbot-platform/sdk";
import { Alert } from "../../components/Alert";
import { AppHeader } from "../../components/AppHeader";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { FormError } from "../../components/FormError";
import { api, errorMessage, fieldErrors, unwrap } from "../../lib/api";
import { downloadText } from "../../lib/download";
import { formatDateTime } from "../../lib/format";
import { goToSignIn } from "../../lib/session";
import { TwoFactor } from "./TwoFactor";

type Problem = { message: string; items: string[] };
const problemOf = (err: unknown): Problem => ({ message: errorMessage(err), items: fieldErrors(err) });

/** The account page: profile, password, two-factor sign-in, sessions, export and deletion. */
export function AccountPage() {
  const [user, setUser] = useState<User>();
  const [sessions, setSessions] = useState<Session[]>();
  const [error, setError] = useState<string>();

  const loadSessions = useCallback(() => {
    unwrap(api.client.GET("/users/me/sessions"))
      .then(setSessions)
      .catch((err) => setError(errorMessage(err)));
  }, []);
  useEffect(() => {
    unwrap(api.client.GET("/users/me"))
      .then(setUser)
      .catch((err) => setError(errorMessage(err)));
    loadSessions();
  }, [loadSessions]);

  return (
    <>
      <AppHeader current="account" />
      <main className="page account-page" id="main">
        <h1>Account</h1>
        {error && <Alert>{error}</Alert>}
        {user && <Profile user={user} onSaved={setUser} />}
        <PasswordChange onChanged={loadSessions} />
        {user && <TwoFactor user={user} onChanged={setUser} />}
        <Sessions sessions={sessions} onChanged={loadSessions} />
        <Export />
        <DeleteAccount />
      </main>
    </>
  );
}

function Profile({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const [name, setName] = useState(user.display_name);
  const [problem, setProblem] = useState<Problem>();
  const [saved, setSaved] = useState(false);
  async function save(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    try {
      onSaved(await unwrap(api.client.PATCH("/users/me", { body: { display_name: name } })));
      setSaved(true);
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <p className="muted small">Signed in as {user.email}</p>
      <EmailVerification user={user} />
      <form onSubmit={save}>
        <div className="field">
          <label htmlFor="display-name">Display name</label>
          <input id="display-name" maxLength={100} value={name} onChange={(e) => (setName(e.target.value), setSaved(false))} />
        </div>
        {problem && <FormError message={problem.message} items={problem.items} />}
        <button type="submit" className="button primary">
          Save profile
        </button>
        {saved && <span className="muted small" role="status"> Saved.</span>}
      </form>
    </section>
  );
}

/** Whether the address is verified, with a button that mails a new link when it is not. */
function EmailVerification({ user }: { user: User }) {
  const [sent, setSent] = useState<string>();
  const [problem, setProblem] = useState<string>();
  if (user.email_verified) return <p className="small verified">✓ Email address verified</p>;
  async function send() {
    setProblem(undefined);
    try {
      setSent((await unwrap(api.client.POST("/users/me/verify-email"))).message);
    } catch (err) {
      setProblem(errorMessage(err));
    }
  }
  return (
    <div className="stack small">
      <p className="small">Your email address is not verified yet.</p>
      {sent ? (
        <p className="muted small" role="status">{sent}</p>
      ) : (
        <button type="button" className="button small" onClick={send}>
          Send verification link
        </button>
      )}
      {problem && <Alert>{problem}</Alert>}
    </div>
  );
}

function PasswordChange({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState(false);
  async function change(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    try {
      await unwrap(api.client.POST("/users/me/password", { body: { current_password: current, new_password: next } }));
      setCurrent("");
      setNext("");
      setDone(true);
      onChanged();
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form onSubmit={change}>
        <div className="field">
          <label htmlFor="current-password">Current password</label>
          <input id="current-password" type="password" autoComplete="current-password" required maxLength={128} value={current} onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-password">New password</label>
          <input id="new-password" type="password" autoComplete="new-password" required minLength={8} maxLength={128} value={next} onChange={(e) => setNext(e.target.value)} />
        </div>
        {problem && <FormError message={problem.message} items={problem.items} />}
        <button type="submit" className="button primary">
          Change password
        </button>
        {done && <p className="muted small" role="status">Password changed. Every other session is signed out.</p>}
      </form>
    </section>
  );
}

function Sessions({ sessions, onChanged }: { sessions: Session[] | undefined; onChanged: () => void }) {
  const [error, setError] = useState<string>();
  async function end(s: Session) {
    try {
      await unwrap(api.client.DELETE("/users/me/sessions/{session_id}", { params: { path: { session_id: s.id } } }));
      if (s.current) goToSignIn("signed-out");
      else onChanged();
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  async function everywhere() {
    try {
      await unwrap(api.client.DELETE("/users/me/sessions"));
      goToSignIn("signed-out");
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      {error && <Alert>{error}</Alert>}
      {!sessions ? (
        <p className="muted small">Loading…</p>
      ) : (
        <ul className="session-list">
          {sessions.map((s) => (
            <li key={s.id}>
              <span>
                {s.user_agent || "Unknown client"} · {s.ip || "unknown address"}
                {s.current && <strong> (this session)</strong>}
              </span>
              <span className="muted small">
                signed in {formatDateTime(s.created_at)}, last seen {formatDateTime(s.last_seen_at)}
              </span>
              <button type="button" className="button small" aria-label={`Sign out session ${s.id}${s.current ? " (this one)" : ""}`} onClick={() => void end(s)}>
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="button" onClick={() => void everywhere()}>
        Sign out everywhere
      </button>
    </section>
  );
}

function Export() {
  const [error, setError] = useState<string>();
  async function download() {
    try {
      const data = await unwrap(api.client.GET("/users/me/export"));
      downloadText(`chatbot-account-${data.user.id}.json`, JSON.stringify(data, null, 2), "application/json");
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">Your data</h2>
      <p className="muted small">Everything your account holds, as one JSON file: projects, prompts, file records, key records (no secrets) and every conversation.</p>
      {error && <Alert>{error}</Alert>}
      <button type="button" className="button" onClick={() => void download()}>
        Download my data
      </button>
    </section>
  );
}

function DeleteAccount() {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  async function remove() {
    setBusy(true);
    setProblem(undefined);
    try {
      await unwrap(api.client.DELETE("/users/me", { body: { password } }));
      goToSignIn("signed-out");
    } catch (err) {
      setProblem(problemOf(err));
    }
    setBusy(false);
  }
  return (
    <section className="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p className="muted small">Deletes every chatbot with its files (at OpenAI too), keys and conversations. This cannot be undone.</p>
      <button type="button" className="button danger" onClick={() => setOpen(true)}>
        Delete account…
      </button>
      <ConfirmDialog
        open={open}
        title="Delete your account?"
        confirmLabel="Delete account"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => (setOpen(false), setProblem(undefined))}
      >
        <div className="field">
          <label htmlFor="delete-password">Your password</label>
          <input id="delete-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        {problem && <FormError message={problem.message} items={problem.items} />}
      </ConfirmDialog>
    </section>
  );
}
