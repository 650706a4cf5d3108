// The dashboard's session lives in cookies set by POST /users/session: the access token in an httpOnly cookie
// no script can read, and the readable csrf_token the pages send back as X-CSRF-Token. A page knows it is
// signed in by the csrf_token cookie; the server decides by the session cookie.
const CSRF_COOKIE = "csrf_token";

/** The session's CSRF token (the csrf_token cookie), or null when signed out. */
export function getCsrfToken(): string | null {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join("=")) || null;
  }
  return null;
}

/** Forgets the page's sign-in hint (the session cookie itself is httpOnly: the server ends it). */
export function clearSessionHint(): void {
  document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict`;
}

/** Why the sign-in page was opened, shown there as a notice. */
export type SignInReason = "expired" | "signed-out" | "required";

/** Forgets the session hint and returns to the sign-in page, which explains why. */
export function goToSignIn(reason: SignInReason): void {
  clearSessionHint();
  window.location.replace(`/?reason=${reason}`);
}

/** For the signed-in pages: sends a visitor who is not signed in to the sign-in page first. */
export function requireToken(): boolean {
  if (getCsrfToken()) return true;
  goToSignIn("required");
  return false;
}
