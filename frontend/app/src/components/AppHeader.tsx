import { useEffect, useState } from "react";
import { api, unwrap } from "../lib/api";
import { goToSignIn } from "../lib/session";
import { getTheme, setTheme, type Theme } from "../lib/theme";

interface AppHeaderProps {
  current: "dashboard" | "chat" | "account";
  /** Link of the Chat entry, e.g. to open the project being edited. */
  chatHref?: string;
}

/** Ends the session on the server (so the token is dead everywhere), then leaves whatever happened. */
async function logOut(): Promise<void> {
  await api.client.DELETE("/users/session").catch(() => {});
  goToSignIn("signed-out");
}

/** The top bar of the signed-in pages: navigation, the account's email, and sign-out. */
export function AppHeader({ current, chatHref = "/chat" }: AppHeaderProps) {
  const [email, setEmail] = useState<string>();
  const [theme, setThemeState] = useState<Theme>(getTheme);

  useEffect(() => {
    // A 401 here sends the visitor back to sign-in through the client's onUnauthorized.
    unwrap(api.client.GET("/users/me"))
      .then((me) => setEmail(me.email))
      .catch(() => {});
  }, []);

  return (
    <header className="app-header">
      <a className="brand" href="/dashboard">
        <img src="/favicon.svg" alt="" width="28" height="28" />
        <span>Chatbot Platform</span>
      </a>
      <nav aria-label="Main">
        <a href="/dashboard" aria-current={current === "dashboard" ? "page" : undefined}>
          Dashboard
        </a>
        <a href={chatHref} aria-current={current === "chat" ? "page" : undefined}>
          Chat
        </a>
        <a href="/account" aria-current={current === "account" ? "page" : undefined}>
          Account
        </a>
        <a href="/docs">API docs</a>
      </nav>
      <div className="account">
        {email && (
          <span className="account-email" title={email}>
            {email}
          </span>
        )}
        <label htmlFor="theme-picker" className="sr-only">
          Theme
        </label>
        <select
          id="theme-picker"
          className="theme-picker"
          value={theme}
          onChange={(e) => {
            const next = e.target.value as Theme;
            setTheme(next);
            setThemeState(next);
          }}
        >
          <option value="system">System</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
        <button type="button" className="button small" onClick={logOut}>
          Log out
        </button>
      </div>
    </header>
  );
}
