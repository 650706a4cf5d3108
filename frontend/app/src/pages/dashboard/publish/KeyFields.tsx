import type { KeyScope } from "@chatbot-platform/sdk";
import { LIMITS, SCOPE_HINTS, SCOPES, parseOrigins, toDateInput, type KeyDraft } from "../../../lib/keys";

interface KeyFieldsProps {
  /** Makes the ids unique when several forms are on the page. */
  idPrefix: string;
  draft: KeyDraft;
  onChange: (change: Partial<KeyDraft>) => void;
  /**
   * True once the form was submitted: from then on the origins' problems show (and update as they are fixed).
   * Not earlier, say on blur: a list appearing as the field loses focus would move the submit button away from
   * under the pointer between mousedown and click.
   */
  submitted: boolean;
  /** The origin of this dashboard, offered as an example. */
  dashboardOrigin: string;
}

/** The fields of a key shared by the create and edit forms; which ones show depends on the kind. */
export function KeyFields({ idPrefix, draft, onChange, submitted, dashboardOrigin }: KeyFieldsProps) {
  const id = (name: string) => `${idPrefix}-${name}`;
  const originProblems = parseOrigins(draft.originsText).problems;
  const showOriginProblems = submitted && originProblems.length > 0;

  function toggleScope(scope: KeyScope, on: boolean) {
    onChange({ scopes: SCOPES.filter((s) => (s === scope ? on : draft.scopes.includes(s))) });
  }

  return (
    <>
      <div className="field">
        <label htmlFor={id("name")}>Key name</label>
        <input
          id={id("name")}
          required
          maxLength={LIMITS.name}
          placeholder={draft.kind === "secret" ? "e.g. Production server" : "e.g. Shop website"}
          value={draft.name}
          onChange={(e) => onChange({ name: e.target.value })}
        />
      </div>

      {draft.kind === "secret" ? (
        <fieldset className="checkbox-group">
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="check">
              <input
                type="checkbox"
                name={id("scope")}
                value={scope}
                checked={draft.scopes.includes(scope)}
                onChange={(e) => toggleScope(scope, e.target.checked)}
              />
              <span>
                <span className="check-name">{scope}</span> <span className="hint">{SCOPE_HINTS[scope]}</span>
              </span>
            </label>
          ))}
        </fieldset>
      ) : (
        <>
          <div className="field">
            <label htmlFor={id("origins")}>Allowed origins</label>
            <textarea
              id={id("origins")}
              rows={3}
              spellCheck={false}
              autoCapitalize="off"
              placeholder={`https://www.example.com\n${dashboardOrigin}`}
              aria-describedby={`${id("origins-hint")}${showOriginProblems ? ` ${id("origins-problems")}` : ""}`}
              aria-invalid={showOriginProblems || undefined}
              value={draft.originsText}
              onChange={(e) => onChange({ originsText: e.target.value })}
            />
            <span className="hint" id={id("origins-hint")}>
              One per line, exactly <code>https://host</code> or <code>https://host:port</code>, no path. The widget
              works only on these sites; with none it does nothing.
            </span>
            {showOriginProblems && (
              <ul className="field-problems" id={id("origins-problems")}>
                {originProblems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.requireSignedUser}
              onChange={(e) => onChange({ requireSignedUser: e.target.checked })}
            />
            <span>
              Require signed-in visitors{" "}
              <span className="hint">(anonymous visitors are refused; your site passes data-user and data-user-hash)</span>
            </span>
          </label>
          <div className="field">
            <label htmlFor={id("per-day")}>Messages per visitor per day</label>
            <input
              id={id("per-day")}
              type="number"
              inputMode="numeric"
              min={1}
              max={LIMITS.perDay}
              step={1}
              required
              value={draft.visitorMessagesPerDay}
              onChange={(e) => onChange({ visitorMessagesPerDay: e.target.value })}
            />
          </div>
        </>
      )}

      <div className="field-pair">
        <div className="field">
          <label htmlFor={id("rate")}>Rate limit per minute</label>
          <input
            id={id("rate")}
            type="number"
            inputMode="numeric"
            min={1}
            max={LIMITS.perMinute}
            step={1}
            placeholder="server default"
            value={draft.rateLimit}
            onChange={(e) => onChange({ rateLimit: e.target.value })}
          />
          <span className="hint">Empty: the server&apos;s default.</span>
        </div>
        <div className="field">
          <label htmlFor={id("expires")}>Expires on</label>
          <input
            id={id("expires")}
            type="date"
            min={toDateInput(new Date())}
            value={draft.expiresOn}
            onChange={(e) => onChange({ expiresOn: e.target.value })}
          />
          <span className="hint">Empty: never. Works through the end of that day.</span>
        </div>
      </div>

      <fieldset className="budget-fields">
        <legend>Budgets</legend>
        <span className="hint">
          Chat through this key is refused once one is spent, until the month or day ends (UTC). Tokens are input
          plus output. Empty: no limit.
        </span>
        <div className="field-pair">
          <BudgetInput id={id("budget-usd")} label="USD per month" money value={draft.budgetUsd} onChange={(budgetUsd) => onChange({ budgetUsd })} />
          <BudgetInput id={id("budget-tokens")} label="Tokens per month" value={draft.budgetTokens} onChange={(budgetTokens) => onChange({ budgetTokens })} />
          <BudgetInput
            id={id("user-day-tokens")}
            label="Tokens per end user per day"
            value={draft.endUserDailyTokens}
            onChange={(endUserDailyTokens) => onChange({ endUserDailyTokens })}
          />
          <BudgetInput
            id={id("user-month-tokens")}
            label="Tokens per end user per month"
            value={draft.endUserMonthlyTokens}
            onChange={(endUserMonthlyTokens) => onChange({ endUserMonthlyTokens })}
          />
        </div>
      </fieldset>
    </>
  );
}

interface BudgetInputProps {
  id: string;
  label: string;
  /** US dollars (decimals) rather than a whole number of tokens. */
  money?: boolean;
  value: string;
  onChange: (value: string) => void;
}

/** One budget of a key: a number, or empty for no limit. */
function BudgetInput({ id, label, money = false, value, onChange }: BudgetInputProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode={money ? "decimal" : "numeric"}
        min={money ? 0 : 1}
        max={money ? LIMITS.budgetUsd : LIMITS.budgetTokens}
        step={money ? 0.01 : 1}
        placeholder="no limit"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}
