import { useState, type FormEvent } from "react";
import type { TotpSetup, User } from "@chatbot-platform/sdk";
import { CopyButton } from "../../components/CopyButton";
import { CopyField } from "../../components/CopyField";
import { FormError } from "../../components/FormError";
import { QrCode } from "../../components/QrCode";
import { api, errorMessage, fieldErrors, unwrap } from "../../lib/api";

type Problem = { message: string; items: string[] };
const problemOf = (err: unknown): Problem => ({ message: errorMessage(err), items: fieldErrors(err) });

/** The 6 digits of a code as typed (spaces dropped). */
export const digitsOf = (code: string) => code.replace(/\s+/g, "");

/** Two-factor sign-in with an authenticator app: set up (QR code, confirm, recovery codes once) and turn off. */
export function TwoFactor({ user, onChanged }: { user: User; onChanged: (u: User) => void }) {
  const [setup, setSetup] = useState<TotpSetup>();
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>();
  const [problem, setProblem] = useState<Problem>();

  async function refresh() {
    onChanged(await unwrap(api.client.GET("/users/me")));
  }

  async function start() {
    setProblem(undefined);
    try {
      setSetup(await unwrap(api.client.POST("/users/me/mfa/totp")));
    } catch (err) {
      setProblem(problemOf(err));
    }
  }

  return (
    <section className="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor sign-in</h2>
      {recoveryCodes ? (
        <RecoveryCodesBox codes={recoveryCodes} onDone={() => setRecoveryCodes(undefined)} />
      ) : user.mfa_enabled ? (
        <TurnOff onOff={() => void refresh()} />
      ) : setup ? (
        <Confirm
          setup={setup}
          onCancel={() => setSetup(undefined)}
          onOn={(codes) => {
            setSetup(undefined);
            setRecoveryCodes(codes);
            void refresh();
          }}
        />
      ) : (
        <>
          <p className="muted small">
            Off. With it on, signing in also asks for a code from an authenticator app on your phone (any app for
            time-based codes, such as Google Authenticator, Authy or 1Password).
          </p>
          {problem && <FormError message={problem.message} items={problem.items} />}
          <button type="button" className="button primary" onClick={() => void start()}>
            Set up two-factor sign-in
          </button>
        </>
      )}
    </section>
  );
}

function Confirm({ setup, onCancel, onOn }: { setup: TotpSetup; onCancel: () => void; onOn: (codes: string[]) => void }) {
  const [code, setCode] = useState("");
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  async function confirm(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    setBusy(true);
    try {
      const out = await unwrap(api.client.POST("/users/me/mfa/totp/confirm", { body: { code: digitsOf(code) } }));
      onOn(out.recovery_codes);
    } catch (err) {
      setProblem(problemOf(err));
      setBusy(false);
    }
  }
  return (
    <div className="two-factor-setup">
      <ol className="two-factor-steps">
        <li>Scan this QR code with your authenticator app, or type the key below into it.</li>
        <li>Enter the 6-digit code the app shows, to check that it works.</li>
      </ol>
      <QrCode text={setup.otpauth_uri} label="QR code of your two-factor key, for an authenticator app" />
      <CopyField label="Key for typing in" value={setup.secret} code />
      <form onSubmit={confirm}>
        <div className="field">
          <label htmlFor="totp-confirm-code">Code from the app</label>
          <input
            id="totp-confirm-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            pattern="\s*(\d\s*){6}"
            maxLength={9}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </div>
        {problem && <FormError message={problem.message} items={problem.items} />}
        <div className="row">
          <button type="submit" className="button primary" disabled={busy}>
            Turn on two-factor sign-in
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

function RecoveryCodesBox({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="secret-box" role="region" aria-labelledby="recovery-codes-title">
      <h3 id="recovery-codes-title">Save your recovery codes now</h3>
      <p className="secret-warning">
        Two-factor sign-in is on. These codes are shown only this once: keep them somewhere safe. Each one signs you in
        once if you lose your phone.
      </p>
      <ol className="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="row">
        <CopyButton text={() => codes.join("\n")} label="Copy the recovery codes" />
        <button type="button" className="button primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

function TurnOff({ onOff }: { onOff: () => void }) {
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [useRecovery, setUseRecovery] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  async function turnOff(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    try {
      const body = useRecovery ? { password, recovery_code: code.trim() } : { password, code: digitsOf(code) };
      await unwrap(api.client.DELETE("/users/me/mfa/totp", { body }));
      onOff();
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  return (
    <>
      <p className="muted small">
        <strong>On.</strong> Signing in asks for a code from your authenticator app (or one of your recovery codes).
      </p>
      <form onSubmit={turnOff}>
        <h3>Turn it off</h3>
        <div className="field">
          <label htmlFor="totp-off-password">Your password</label>
          <input id="totp-off-password" type="password" autoComplete="current-password" required maxLength={1024} value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="totp-off-code">{useRecovery ? "A recovery code" : "Code from the app"}</label>
          <input
            id="totp-off-code"
            inputMode={useRecovery ? "text" : "numeric"}
            autoComplete="one-time-code"
            required
            maxLength={useRecovery ? 32 : 9}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </div>
        <button type="button" className="button small ghost" aria-pressed={useRecovery} onClick={() => (setUseRecovery((v) => !v), setCode(""))}>
          Use a recovery code instead
        </button>
        {problem && <FormError message={problem.message} items={problem.items} />}
        <button type="submit" className="button danger">
          Turn off two-factor sign-in
        </button>
      </form>
    </>
  );
}
