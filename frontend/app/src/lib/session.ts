// The design keeps the bearer token in localStorage under "token"; every page reads it from here.
const TOKEN_KEY = "token";

/** The stored access token, or null when logged out (or when storage is unavailable). */
export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing stored that could be cleared.
  }
}

/** Why the sign-in page was opened, shown there as a notice. */
export type SignInReason = "expired" | "signed-out" | "required";

/** Forgets the token and returns to the sign-in page, which explains why. */
export function goToSignIn(reason: SignInReason): void {
  clearToken();
  window.location.replace(`/?reason=${reason}`);
}

/** For the dashboard and chat pages: sends a visitor without a token to the sign-in page first. */
export function requireToken(): boolean {
  if (getToken()) return true;
  goToSignIn("required");
  return false;
}
