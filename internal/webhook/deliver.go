package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// Delivery limits (api/openapi.yaml states them).
const (
	// AttemptTimeout bounds one attempt: connecting, sending and the endpoint's answer.
	AttemptTimeout = 10 * time.Second
	// RetryWindow is how long an event is retried; an endpoint failing this long is disabled.
	RetryWindow = 24 * time.Hour
)

// retryDelays follow the Standard Webhooks recommendation; the last repeats until RetryWindow.
var retryDelays = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

// RetryDelay is the wait after the attempt-th failed attempt (1-based) of an event first tried age ago:
// exponential, and never past the end of RetryWindow (the last attempt lands on it).
func RetryDelay(attempt int, age time.Duration) time.Duration {
	d := retryDelays[min(max(attempt, 1), len(retryDelays))-1]
	return max(min(d, RetryWindow-age), 0)
}

// DeliveryArgs is the job that delivers one stored delivery (webhook_delivery).
type DeliveryArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind names the job kind.
func (DeliveryArgs) Kind() string { return "webhook_delivery" }

// InsertOptions: retries are snoozes (RetryDelay), so attempts only count store errors.
func (DeliveryArgs) InsertOptions() jobs.InsertOptions { return jobs.InsertOptions{MaxAttempts: 25} }

// RegisterJobs adds the delivery worker to w.
func (s *Service) RegisterJobs(w *jobs.Workers) {
	jobs.Add(w, jobs.Kind[DeliveryArgs]{Work: s.deliver, Timeout: AttemptTimeout + 5*time.Second})
}

// deliver is one attempt of a delivery job; a failed attempt waits RetryDelay (a snooze: the 24-hour
// window, not an attempt count, ends the retries).
func (s *Service) deliver(ctx context.Context, job jobs.Job[DeliveryArgs]) error {
	retry, err := s.Attempt(ctx, job.Args.DeliveryID, job.CreatedAt)
	if err != nil || !retry {
		return err
	}
	return jobs.Snooze(RetryDelay(job.Snoozes+1, time.Since(job.CreatedAt)))
}

// Attempt sends a delivery once and records the outcome. retry is true when it failed and may be
// tried again (firstTry is when its first attempt began); false when it is done: delivered, given up
// after RetryWindow, or nothing left to do (the webhook deleted or disabled).
func (s *Service) Attempt(ctx context.Context, deliveryID int64, firstTry time.Time) (retry bool, err error) {
	d, w, err := s.store.DeliveryWithWebhook(ctx, deliveryID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil // the webhook (and its deliveries) was deleted
		}
		return false, err
	}
	now := s.now()
	if !w.Enabled {
		d.Status, d.Error, d.LastAttemptAt = model.DeliveryFailed, "not sent: the webhook is disabled", &now
		return false, s.store.RecordDeliveryAttempt(ctx, d)
	}
	status, latency, sendErr := s.post(ctx, w, d)
	d.LastAttemptAt, d.LatencyMS, d.ResponseStatus, d.Error = &now, &latency, nil, ""
	if status != 0 {
		d.ResponseStatus = &status
	}
	if sendErr == nil {
		d.Status = model.DeliverySucceeded
		if err := s.store.RecordDeliveryAttempt(ctx, d); err != nil {
			return false, err
		}
		return false, s.store.MarkWebhookHealthy(ctx, w.ID)
	}
	d.Error = truncate(sendErr.Error(), 500)
	giveUp := now.Sub(firstTry) >= RetryWindow
	d.Status = model.DeliveryPending
	if giveUp {
		d.Status = model.DeliveryFailed
	}
	if err := s.store.RecordDeliveryAttempt(ctx, d); err != nil {
		return false, err
	}
	if err := s.store.MarkWebhookFailing(ctx, w.ID, now); err != nil {
		return false, err
	}
	if w.FailingSince != nil && now.Sub(*w.FailingSince) >= RetryWindow {
		reason := fmt.Sprintf("disabled on %s: every delivery failed for 24 hours since %s; last error: %s",
			now.UTC().Format(time.RFC3339), w.FailingSince.UTC().Format(time.RFC3339), d.Error)
		if err := s.store.DisableWebhook(ctx, w.ID, reason, now); err != nil {
			return false, err
		}
		s.forget(w.ProjectID)
		s.log.WarnContext(ctx, "webhook disabled: failing for 24 hours", "project_id", w.ProjectID, "webhook_id", w.ID, "error", d.Error)
		return false, nil
	}
	if giveUp {
		s.log.WarnContext(ctx, "webhook delivery abandoned after 24 hours", "webhook_id", w.ID, "delivery_id", d.ID, "error", d.Error)
	}
	return !giveUp, nil
}

// post sends one signed attempt; status is the endpoint's (0 when none came back).
func (s *Service) post(ctx context.Context, w model.Webhook, d model.WebhookDelivery) (status, latencyMS int64, err error) {
	signer, err := standardwebhooks.NewWebhook(w.Secret)
	if err != nil {
		return 0, 0, fmt.Errorf("webhook secret: %w", err)
	}
	now := s.now()
	sig, err := signer.Sign(d.EventID, now, []byte(d.Payload))
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, strings.NewReader(d.Payload))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chatbot-platform-webhooks")
	req.Header.Set(standardwebhooks.HeaderWebhookID, d.EventID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	start := time.Now()
	res, err := s.client().Do(req)
	latencyMS = time.Since(start).Milliseconds()
	if err != nil {
		return 0, latencyMS, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return int64(res.StatusCode), latencyMS, fmt.Errorf("the endpoint answered %d", res.StatusCode)
	}
	return int64(res.StatusCode), latencyMS, nil
}

// client sends attempts: no redirects followed, no proxy, and (unless allowed) connections only to
// public addresses, checked on the address actually dialled, so a name that resolves to a public
// address when the webhook is saved and to a private one later (DNS rebinding) is refused too.
func (s *Service) client() *http.Client {
	s.clientOnce.Do(func() {
		dialer := &net.Dialer{Timeout: AttemptTimeout}
		if !s.allowPrivate {
			dialer.Control = func(_, address string, _ syscall.RawConn) error {
				host, _, err := net.SplitHostPort(address)
				if err != nil {
					return err
				}
				ip, err := netip.ParseAddr(host)
				if err != nil {
					return err
				}
				if !publicIP(ip) {
					return fmt.Errorf("refused to connect to %s: not a public address", ip)
				}
				return nil
			}
		}
		s.httpClient = &http.Client{
			Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil, MaxIdleConnsPerHost: 2,
				IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: AttemptTimeout, ResponseHeaderTimeout: AttemptTimeout},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return s.httpClient
}

// publicHost resolves host and refuses it when any of its addresses is not public.
func publicHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !publicIP(ip) {
			return fmt.Errorf("points to %s, a loopback, private or link-local address", ip)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("host %q does not resolve", host)
	}
	for _, ip := range addrs {
		if !publicIP(ip) {
			return fmt.Errorf("host %q resolves to %s, a loopback, private or link-local address", host, ip.Unmap())
		}
	}
	return nil
}

func publicIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsUnspecified() && !ip.IsMulticast() && !ip.IsInterfaceLocalMulticast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT, private in practice
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
