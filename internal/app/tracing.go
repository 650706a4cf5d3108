package app

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/chatbot-platform/chatbot/internal/config"
)

// ServiceName names the platform's spans unless OTEL_SERVICE_NAME (or service.name in
// OTEL_RESOURCE_ATTRIBUTES) says otherwise.
const ServiceName = "chatbot"

// NewTracerProvider sends spans over OTLP/HTTP (protobuf) through a batch span processor when
// OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise it is a no-op provider. The transport reads the
// endpoint, headers and timeout variables (otlp.go); the sampler and the batch processor read the other
// standard OTEL_* variables themselves (e.g. OTEL_TRACES_SAMPLER, OTEL_BSP_SCHEDULE_DELAY). shutdown
// flushes the spans not sent yet.
func NewTracerProvider(ctx context.Context, cfg config.Config) (_ trace.TracerProvider, shutdown func(context.Context) error, _ error) {
	if cfg.OTLPEndpoint == "" {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	client, err := newOTLPHTTP(osGetenv)
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
	}
	exp, err := otlptrace.New(ctx, client)
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
	}
	// Later detectors win: the environment's service name over ours.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", ServiceName)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, tp.Shutdown, nil
}
