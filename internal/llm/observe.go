package llm

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Attributes of the OpenTelemetry GenAI semantic conventions (gen_ai.*) and of our own.
const (
	attrGenAISystem       = attribute.Key("gen_ai.system") // superseded by provider.name; both are set
	attrGenAIProvider     = attribute.Key("gen_ai.provider.name")
	attrGenAIOperation    = attribute.Key("gen_ai.operation.name")
	attrGenAIRequestModel = attribute.Key("gen_ai.request.model")
	attrGenAITemperature  = attribute.Key("gen_ai.request.temperature")
	attrGenAIMaxTokens    = attribute.Key("gen_ai.request.max_tokens")
	attrGenAIResponseID   = attribute.Key("gen_ai.response.id")
	attrGenAIRespModel    = attribute.Key("gen_ai.response.model")
	attrGenAIInputTokens  = attribute.Key("gen_ai.usage.input_tokens")
	attrGenAIOutputTokens = attribute.Key("gen_ai.usage.output_tokens")
	attrHTTPStatus        = attribute.Key("http.response.status_code")
	attrErrorType         = attribute.Key("error.type")
	attrOperation         = attribute.Key("chatbot.upstream.operation")
	attrAttempts          = attribute.Key("chatbot.upstream.attempts")
)

// outcomeOK is the outcome label of an operation that succeeded.
const outcomeOK = "ok"

// observed is one upstream operation being reported: its span and when it began.
type observed struct {
	o     op
	start time.Time
	span  trace.Span
}

// begin starts reporting an operation: a client span (a chat when r is set) in the returned context.
func (c *Client) begin(ctx context.Context, o op, r *Request) (context.Context, observed) {
	name := "openai " + o.name
	if r != nil {
		name = "chat " + r.Model // the GenAI conventions' "{operation} {model}"
	}
	ctx, span := c.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		span.SetAttributes(attrGenAISystem.String("openai"), attrGenAIProvider.String("openai"),
			attrOperation.String(o.name))
		if r != nil {
			span.SetAttributes(attrGenAIOperation.String("chat"), attrGenAIRequestModel.String(r.Model))
			if r.Temperature >= 0 {
				span.SetAttributes(attrGenAITemperature.Float64(float64(r.Temperature)))
			}
			if r.MaxOutputTokens > 0 {
				span.SetAttributes(attrGenAIMaxTokens.Int(r.MaxOutputTokens))
			}
		}
	}
	return ctx, observed{o: o, start: time.Now(), span: span}
}

// finish reports a finished operation: its one log line, its metrics and the end of its span. reply
// is the answer when one was read (its model and usage go on the span).
func (c *Client) finish(ctx context.Context, ob observed, attempts, status int, err *Error, reply *Reply) {
	c.logOutcome(ctx, ob.o, attempts, status, ob.start, err)
	outcome := outcomeOK
	if err != nil {
		outcome = err.Kind.Label()
	}
	c.metrics.UpstreamCall(ob.o.name, outcome, time.Since(ob.start))
	span := ob.span
	if span.IsRecording() {
		span.SetAttributes(attrAttempts.Int(attempts))
		if status != 0 {
			span.SetAttributes(attrHTTPStatus.Int(status))
		}
		if reply != nil {
			span.SetAttributes(attrGenAIResponseID.String(reply.ResponseID), attrGenAIRespModel.String(reply.Model),
				attrGenAIInputTokens.Int(reply.Usage.InputTokens), attrGenAIOutputTokens.Int(reply.Usage.OutputTokens))
		}
		if err != nil {
			span.SetAttributes(attrErrorType.String(outcome))
			span.SetStatus(codes.Error, err.Kind.String())
		}
	}
	span.End()
}

// retrying reports a failed try that will be retried after wait.
func (c *Client) retrying(ctx context.Context, o op, attempts, status int, e *Error, wait time.Duration) {
	c.metrics.UpstreamRetry(o.name)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("retry", trace.WithAttributes(attrAttempts.Int(attempts), attrHTTPStatus.Int(status),
			attrErrorType.String(e.Kind.Label()), attribute.Float64("chatbot.upstream.wait_seconds", wait.Seconds())))
	}
}

// firstToken reports the stream's first text.
func (s *Stream) firstToken() {
	s.c.metrics.TimeToFirstToken(time.Since(s.ob.start))
	s.ob.span.AddEvent("first token")
}
