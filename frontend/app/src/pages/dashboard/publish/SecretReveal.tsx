import { useEffect, useId, useRef } from "react";
import { CopyField } from "../../../components/CopyField";

/**
 * A secret the server shows only once: a new key (with a publishable key's identity secret), a rotated identity
 * secret, or a webhook's signing secret (new or rotated).
 */
export type Revealed =
  | { kind: "created"; keyId: number; name: string; keyKind: "secret" | "publishable"; key: string; identitySecret?: string }
  | { kind: "rotated"; keyId: number; name: string; identitySecret: string }
  | { kind: "webhook"; webhookId: number; url: string; secret: string; rotated: boolean };

interface SecretRevealProps {
  revealed: Revealed;
  onDismiss: () => void;
}

function IdentitySecretHelp() {
  return (
    <p className="small">
      The <strong>identity secret</strong> stays on your site&apos;s backend. For a signed-in visitor it computes{" "}
      <code>user_hash</code> = hex HMAC-SHA256 of the visitor&apos;s user id, keyed with this secret, and puts both
      in the widget&apos;s <code>data-user</code> and <code>data-user-hash</code>. Never put the secret itself in a
      page.
    </p>
  );
}

const HEADINGS = {
  created: "Copy your new key now",
  rotated: "Copy the new identity secret now",
  webhook: "Copy the webhook's signing secret now",
  "webhook-rotated": "Copy the new signing secret now",
} as const;

/**
 * Shows a secret once, in a box that says so. It lives only in this component's props: never in storage, and gone
 * for good once dismissed.
 */
export function SecretReveal({ revealed, onDismiss }: SecretRevealProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const titleId = useId();

  // Bring the box into view and announce it: it appears away from the button that caused it.
  useEffect(() => {
    heading.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
    heading.current?.focus({ preventScroll: true });
  }, [revealed]);

  return (
    <section className="secret-box" aria-labelledby={titleId}>
      <h2 id={titleId} ref={heading} tabIndex={-1}>
        {HEADINGS[revealed.kind === "webhook" && revealed.rotated ? "webhook-rotated" : revealed.kind]}
      </h2>
      <p className="secret-warning">
        This is the only time it is shown. It is not stored in this browser: once you close this box it is gone, and
        a lost {revealed.kind === "created" ? "key has to be replaced by a new one" : "secret has to be rotated again"}.
      </p>
      {revealed.kind === "webhook" ? (
        <>
          <p className="small">
            For the webhook to <strong className="webhook-url">{revealed.url}</strong>.{" "}
            {revealed.rotated
              ? "Deliveries are signed with this secret from now on: update your endpoint now."
              : "Your endpoint checks each delivery's webhook-signature header with it. Keep it on your server."}
          </p>
          <CopyField label="Signing secret" value={revealed.secret} />
        </>
      ) : revealed.kind === "created" ? (
        <>
          <p className="small">
            <strong>{revealed.name}</strong>:{" "}
            {revealed.keyKind === "secret"
              ? "a secret key. Keep it on your servers (for example in an environment variable), never in a web page or an app."
              : "a publishable key. It is meant to be in your web pages, in the widget's tag below."}
          </p>
          <CopyField label={revealed.keyKind === "secret" ? "Secret key" : "Publishable key"} value={revealed.key} />
          {revealed.identitySecret && (
            <>
              <CopyField label="Identity secret" value={revealed.identitySecret} />
              <IdentitySecretHelp />
            </>
          )}
        </>
      ) : (
        <>
          <p className="small">
            For <strong>{revealed.name}</strong>. User hashes made with the old secret no longer work: update your
            backend now.
          </p>
          <CopyField label="Identity secret" value={revealed.identitySecret} />
          <IdentitySecretHelp />
        </>
      )}
      <div className="row">
        <button type="button" className="button primary" onClick={onDismiss}>
          I have copied it, close
        </button>
      </div>
    </section>
  );
}
