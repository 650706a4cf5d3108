package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// otlpHTTP sends spans as OTLP/HTTP protobuf (POST <endpoint>/v1/traces). The SDK's otlptrace exporter
// converts and batches the spans; this is only its transport. OpenTelemetry's own otlptracehttp client
// would do the same but imports all of gRPC through a shared config package (opentelemetry-go issues
// #2579 and #8385): 13 MB of binary and 7 MB of idle memory for a transport we never use. Switch back
// once upstream splits that package.
type otlpHTTP struct {
	url     string
	headers map[string]string
	client  *http.Client
}

// newOTLPHTTP reads the standard variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or
// OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), OTEL_EXPORTER_OTLP[_TRACES]_HEADERS (key=value,...
// URL-encoded) and OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT (milliseconds, default 10 s).
func newOTLPHTTP(getenv func(string) string) (*otlpHTTP, error) {
	c := &otlpHTTP{url: getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), headers: map[string]string{}}
	if c.url == "" {
		c.url = strings.TrimRight(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/") + "/v1/traces"
	}
	if u, err := url.Parse(c.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", c.url)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
		for _, pair := range strings.Split(getenv(name), ",") {
			k, v, ok := strings.Cut(pair, "=")
			if !ok {
				continue
			}
			key, err1 := url.QueryUnescape(strings.TrimSpace(k))
			val, err2 := url.QueryUnescape(strings.TrimSpace(v))
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%s: %q is not URL-encoded", name, pair)
			}
			c.headers[key] = val
		}
	}
	timeout := 10 * time.Second
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"} {
		if v := getenv(name); v != "" {
			ms, err := strconv.Atoi(v)
			if err != nil || ms <= 0 {
				return nil, fmt.Errorf("%s must be a positive number of milliseconds", name)
			}
			timeout = time.Duration(ms) * time.Millisecond
		}
	}
	c.client = &http.Client{Timeout: timeout}
	return c, nil
}

var _ otlptrace.Client = (*otlpHTTP)(nil)

func (c *otlpHTTP) Start(context.Context) error { return nil }

func (c *otlpHTTP) Stop(context.Context) error {
	c.client.CloseIdleConnections()
	return nil
}

// UploadTraces posts one ExportTraceServiceRequest, whose only field (1) is the repeated resource spans.
func (c *otlpHTTP) UploadTraces(ctx context.Context, spans []*tracepb.ResourceSpans) error {
	var body []byte
	for _, rs := range spans {
		b, err := proto.Marshal(rs)
		if err != nil {
			return fmt.Errorf("otlp: encode spans: %w", err)
		}
		body = protowire.AppendTag(body, 1, protowire.BytesType)
		body = protowire.AppendBytes(body, b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("otlp: send spans: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("otlp: the collector answered %s", res.Status)
	}
	return nil
}

func osGetenv(name string) string { return os.Getenv(name) }
