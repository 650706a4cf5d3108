import { CopyField } from "../../../components/CopyField";
import { VERIFY_SNIPPET } from "../../../lib/webhooks";

/** How a receiver checks that a delivery came from this platform (Standard Webhooks signatures). */
export function SignatureHint() {
  return (
    <div className="stack">
      <p className="small">
        Each delivery is a POST of JSON <code>{'{"id", "type", "created_at", "project_id", "data"}'}</code> signed
        the Standard Webhooks way: <code>webhook-id</code> (the
        event&apos;s id, the same on every retry: use it to skip duplicates), <code>webhook-timestamp</code> (Unix
        seconds) and <code>webhook-signature</code>: <code>v1,</code> and the base64 HMAC-SHA256 of{" "}
        <code>id.timestamp.body</code>, keyed with the secret&apos;s bytes after <code>whsec_</code>.
      </p>
      <p className="small">
        Check the signature against the raw body before parsing it, refuse timestamps more than five minutes away,
        and answer 2xx within 10 seconds. The Standard Webhooks libraries (Node, Go, Python and more) do all of this;
        by hand, in Node.js:
      </p>
      <CopyField label="Verify a signature in Node.js" value={VERIFY_SNIPPET} code />
    </div>
  );
}
