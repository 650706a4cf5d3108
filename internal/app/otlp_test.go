package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/chatbot-platform/chatbot/internal/config"
)

// TestTracing_SpansReachAnOTLPCollectorOverHTTP: a collector stand-in receives the protobuf request
// OTLP/HTTP defines, with the configured headers, and decodes the span.
func TestTracing_SpansReachAnOTLPCollectorOverHTTP(t *testing.T) {
	got := make(chan *coltracepb.ExportTraceServiceRequest, 1)
	var header http.Header
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" ||
			proto.Unmarshal(body, &req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		header = r.Header.Clone()
		got <- &req
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL+"/")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%3Dcret,tenant=blue")
	t.Setenv("OTEL_SERVICE_NAME", "")

	tp, shutdown, err := NewTracerProvider(context.Background(), config.Config{OTLPEndpoint: collector.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "GET /projects")
	span.End()
	if err := shutdown(context.Background()); err != nil { // flushes the batch
		t.Fatal(err)
	}
	req := <-got
	if header.Get("X-Api-Key") != "s=cret" || header.Get("Tenant") != "blue" {
		t.Fatalf("headers %v", header)
	}
	rs := req.GetResourceSpans()
	if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || rs[0].GetScopeSpans()[0].GetSpans()[0].GetName() != "GET /projects" {
		t.Fatalf("spans %v", req)
	}
	service := ""
	for _, a := range rs[0].GetResource().GetAttributes() {
		if a.GetKey() == "service.name" {
			service = a.GetValue().GetStringValue()
		}
	}
	if service != ServiceName {
		t.Fatalf("service.name %q", service)
	}
}

func TestTracing_BadOTLPSettingsAreRefused(t *testing.T) {
	for _, env := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "k=%zz"},
	} {
		if _, err := newOTLPHTTP(func(k string) string { return env[k] }); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
	c, err := newOTLPHTTP(func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://t.example/custom"}[k]
	})
	if err != nil || c.url != "https://t.example/custom" {
		t.Fatalf("traces endpoint %v %v", c, err)
	}
}
