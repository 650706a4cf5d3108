import type { components } from "./schema.js";

type Schemas = components["schemas"];

// Short names for the contract's schemas, so callers need not spell components["schemas"][...].
export type Health = Schemas["Health"];
export type Credentials = Schemas["Credentials"];
export type Token = Schemas["Token"];
export type User = Schemas["User"];
export type LoginResult = Schemas["LoginResult"];
export type MfaChallenge = Schemas["MfaChallenge"];
export type MfaVerification = Schemas["MfaVerification"];
export type TotpSetup = Schemas["TotpSetup"];
export type TotpDisable = Schemas["TotpDisable"];
export type RecoveryCodes = Schemas["RecoveryCodes"];
export type Session = Schemas["Session"];
export type AccountExport = Schemas["AccountExport"];
export type Project = Schemas["Project"];
export type ProjectCreate = Schemas["ProjectCreate"];
export type ProjectUpdate = Schemas["ProjectUpdate"];
export type Prompt = Schemas["Prompt"];
export type PromptCreate = Schemas["PromptCreate"];
export type PromptUpdate = Schemas["PromptUpdate"];
export type ChatRequest = Schemas["ChatRequest"];
export type ChatResponse = Schemas["ChatResponse"];
export type ChatMessage = Schemas["ChatMessage"];
export type Citation = Schemas["Citation"];
export type Usage = Schemas["Usage"];
export type Conversation = Schemas["Conversation"];
export type ConversationDetail = Schemas["ConversationDetail"];
export type ProjectFile = Schemas["ProjectFile"];
export type ApiKey = Schemas["ApiKey"];
export type KeyKind = Schemas["KeyKind"];
export type KeyScope = Schemas["KeyScope"];
export type KeyCreate = Schemas["KeyCreate"];
export type KeyCreated = Schemas["KeyCreated"];
export type KeyUpdate = Schemas["KeyUpdate"];
export type IdentitySecret = Schemas["IdentitySecret"];
export type ChatStreamStart = Schemas["ChatStreamStart"];
export type ChatStreamDelta = Schemas["ChatStreamDelta"];
export type ChatStreamError = Schemas["ChatStreamError"];
export type ErrorBody = Schemas["Error"];
export type FieldError = Schemas["FieldError"];
export type Price = Schemas["Price"];
export type AllowedModels = Schemas["AllowedModels"];
export type Budget = Schemas["Budget"];
export type BudgetUpdate = Schemas["BudgetUpdate"];
export type UsageFigures = Schemas["UsageFigures"];
export type UsageGroup = Schemas["UsageGroup"];
export type UsageReport = Schemas["UsageReport"];
export type Webhook = Schemas["Webhook"];
export type WebhookWithSecret = Schemas["WebhookWithSecret"];
export type WebhookCreate = Schemas["WebhookCreate"];
export type WebhookUpdate = Schemas["WebhookUpdate"];
export type WebhookDelivery = Schemas["WebhookDelivery"];
export type WebhookEventType = Schemas["WebhookEventType"];
export type Feedback = Schemas["Feedback"];
export type FeedbackInput = Schemas["FeedbackInput"];
export type RatedMessage = Schemas["RatedMessage"];
export type FeedbackCount = Schemas["FeedbackCount"];
export type EvalTurn = Schemas["EvalTurn"];
export type EvalChecks = Schemas["EvalChecks"];
export type EvalCase = Schemas["EvalCase"];
export type EvalCaseCreate = Schemas["EvalCaseCreate"];
export type EvalTarget = Schemas["EvalTarget"];
export type EvalRun = Schemas["EvalRun"];
export type EvalRunDetail = Schemas["EvalRunDetail"];
export type EvalResult = Schemas["EvalResult"];
export type EvalCheckResult = Schemas["EvalCheckResult"];

/** One event of `POST /chat/stream`, discriminated by its name. */
export type ChatStreamEvent =
  | { event: "start"; data: ChatStreamStart }
  | { event: "delta"; data: ChatStreamDelta }
  | { event: "done"; data: ChatResponse }
  | { event: "error"; data: ChatStreamError };

/** Upload progress in bytes of the request body sent so far. */
export interface UploadProgress {
  loaded: number;
  total: number;
}
export type ReleaseCreate = Schemas["ReleaseCreate"];
export type ReleaseSummary = Schemas["ReleaseSummary"];
export type Release = Schemas["Release"];
export type ReleaseDiff = Schemas["ReleaseDiff"];
export type ReleaseSnapshot = Schemas["ReleaseSnapshot"];
export type SnapshotFile = Schemas["SnapshotFile"];
