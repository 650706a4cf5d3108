import { CopyField } from "../../../components/CopyField";
import { openAIExamples } from "../../../lib/keys";

interface OpenAIHintProps {
  dashboardOrigin: string;
  model: string;
}

/** How to call the bot from code with OpenAI's SDKs and a secret key. */
export function OpenAIHint({ dashboardOrigin, model }: OpenAIHintProps) {
  const { python, typescript } = openAIExamples(dashboardOrigin, model);
  return (
    <div className="stack">
      <p className="small">
        Any OpenAI SDK can talk to this bot: set the base URL below and use a <strong>secret key</strong> with the{" "}
        <code>chat</code> scope as the API key (here from the <code>CHATBOT_API_KEY</code> environment variable). The
        project&apos;s prompts, model and settings apply whatever <code>model</code> you send.
      </p>
      <CopyField label="Base URL" value={`${dashboardOrigin}/v1`} />
      <details className="help" open>
        <summary>Python</summary>
        <CopyField label="Python example" value={python} code />
      </details>
      <details className="help">
        <summary>TypeScript</summary>
        <CopyField label="TypeScript example" value={typescript} code />
      </details>
    </div>
  );
}
