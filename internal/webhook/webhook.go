// Package webhook keeps a project's webhook endpoints and delivers its events to them, signed per the
// Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature).
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// Event types.
const (
	MessageCompleted    = "message.completed"
	ConversationCreated = "conversation.created"
	FileIndexed         = "file.indexed"
	FileFailed          = "file.failed"
	FeedbackCreated     = "feedback.created"
	BudgetThreshold     = "budget.threshold"
	BudgetExhausted     = "budget.exhausted"
	ReleasePublished    = "release.published"
	EvalRunCompleted    = "eval_run.completed"
)

// EventTypes are the types a webhook may subscribe to (api/openapi.yaml lists the same).
var EventTypes = []string{MessageCompleted, ConversationCreated, FileIndexed, FileFailed, FeedbackCreated,
	BudgetThreshold, BudgetExhausted, ReleasePublished, EvalRunCompleted}

// Limits the API document states.
const (
	MaxURLBytes        = 2048
	MaxDescriptionChar = 500
	MaxPerProject      = 20
)

// Service manages webhooks and emits events to them.
type Service struct {
	store        store.Store
	allowPrivate bool
	log          *slog.Logger
	now          func() time.Time

	// subscribed remembers each project's enabled endpoints for a few seconds, so the events of a
	// project without webhooks (most chats) cost no query. Changes here forget at once; changes on
	// another instance are seen within subscriptionTTL.
	mu         sync.Mutex
	subscribed map[int64]subscription

	clientOnce sync.Once
	httpClient *http.Client
}

type subscription struct {
	hooks   []model.Webhook
	expires time.Time
}

// subscriptionTTL bounds how long another instance's webhook change takes to be seen here.
const subscriptionTTL = 5 * time.Second

// NewService returns the webhook service. allowPrivate (WEBHOOK_ALLOW_PRIVATE) lets endpoints be on
// loopback, private or link-local addresses, for tests.
func NewService(s store.Store, allowPrivate bool, log *slog.Logger) *Service {
	return &Service{store: s, allowPrivate: allowPrivate, log: log, now: time.Now, subscribed: map[int64]subscription{}}
}

// Input is what an owner sets on a webhook; nil fields are left as they are on update.
type Input struct {
	URL         *string
	Events      *[]string
	Description *string
	Enabled     *bool
}

// Create stores a new enabled webhook with a fresh signing secret (returned once, in the result).
func (s *Service) Create(ctx context.Context, ownerID, projectID int64, in Input) (model.Webhook, error) {
	if in.URL == nil || in.Events == nil {
		return model.Webhook{}, model.Invalid("url", "and events are required")
	}
	w := model.Webhook{ProjectID: projectID, Secret: newSecret()}
	if err := s.apply(ctx, &w, in); err != nil {
		return model.Webhook{}, err
	}
	var created model.Webhook
	err := s.store.InTx(ctx, func(tx store.Store) error {
		existing, err := tx.ListWebhooks(ctx, ownerID, projectID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxPerProject {
			return model.Invalid("url", fmt.Sprintf("a project may have at most %d webhooks", MaxPerProject))
		}
		created, err = tx.CreateWebhook(ctx, ownerID, w)
		return err
	})
	if err != nil {
		return model.Webhook{}, err
	}
	s.forget(projectID)
	s.log.InfoContext(ctx, "webhook created", "project_id", projectID, "webhook_id", created.ID)
	return created, nil
}

// Update changes a webhook; enabling it again clears why the platform had disabled it.
func (s *Service) Update(ctx context.Context, ownerID, projectID, id int64, in Input) (model.Webhook, error) {
	w, err := s.store.GetWebhook(ctx, ownerID, projectID, id)
	if err != nil {
		return model.Webhook{}, err
	}
	if err := s.apply(ctx, &w, in); err != nil {
		return model.Webhook{}, err
	}
	if in.Enabled != nil {
		w.Enabled = *in.Enabled
		if w.Enabled {
			w.DisabledReason, w.FailingSince = "", nil
		}
	}
	w, err = s.store.UpdateWebhook(ctx, ownerID, w)
	if err != nil {
		return model.Webhook{}, err
	}
	s.forget(projectID)
	return w, nil
}

// apply validates and sets in's URL, events and description on w.
func (s *Service) apply(ctx context.Context, w *model.Webhook, in Input) error {
	if in.URL != nil {
		u, err := s.CheckURL(ctx, *in.URL)
		if err != nil {
			return err
		}
		w.URL = u
	}
	if in.Events != nil {
		events, err := checkEvents(*in.Events)
		if err != nil {
			return err
		}
		w.Events = events
	}
	if in.Description != nil {
		if n := len([]rune(*in.Description)); n > MaxDescriptionChar {
			return model.Invalid("description", fmt.Sprintf("must be at most %d characters", MaxDescriptionChar))
		}
		w.Description = strings.TrimSpace(*in.Description)
	}
	return nil
}

// CheckURL accepts an absolute http(s) URL whose host does not resolve to a loopback, private or
// link-local address (unless allowed), and returns it normalized.
func (s *Service) CheckURL(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Hostname() == "":
		return "", model.Invalid("url", "must be an absolute http(s) URL such as https://example.com/hooks")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", model.Invalid("url", "must start with https:// (or http://)")
	case u.User != nil:
		return "", model.Invalid("url", "must not carry a user name or password")
	case len(raw) > MaxURLBytes:
		return "", model.Invalid("url", fmt.Sprintf("must be at most %d bytes", MaxURLBytes))
	}
	u.Fragment = ""
	if !s.allowPrivate {
		if err := publicHost(ctx, u.Hostname()); err != nil {
			return "", model.Invalid("url", err.Error())
		}
	}
	return u.String(), nil
}

func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, model.Invalid("events", "must name at least one event type")
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		if !slices.Contains(EventTypes, e) {
			return nil, model.Invalid("events", fmt.Sprintf("%q is not an event type; use %s", e, strings.Join(EventTypes, ", ")))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// List returns the project's webhooks; ErrNotFound for another owner's project (not an empty list).
func (s *Service) List(ctx context.Context, ownerID, projectID int64) ([]model.Webhook, error) {
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return nil, err
	}
	return s.store.ListWebhooks(ctx, ownerID, projectID)
}

// RotateSecret gives the webhook a new signing secret (returned once); the old one stops at once.
func (s *Service) RotateSecret(ctx context.Context, ownerID, projectID, id int64) (model.Webhook, error) {
	w, err := s.store.SetWebhookSecret(ctx, ownerID, projectID, id, newSecret())
	if err != nil {
		return model.Webhook{}, err
	}
	s.forget(projectID)
	s.log.InfoContext(ctx, "webhook secret rotated", "project_id", projectID, "webhook_id", id)
	return w, nil
}

// Delete removes a webhook and its deliveries; attempts still queued find nothing and stop.
func (s *Service) Delete(ctx context.Context, ownerID, projectID, id int64) error {
	if err := s.store.DeleteWebhook(ctx, ownerID, projectID, id); err != nil {
		return err
	}
	s.forget(projectID)
	return nil
}

// Redeliver sends a delivery's event again: same event id, same payload, a new signature.
func (s *Service) Redeliver(ctx context.Context, ownerID, projectID, webhookID, deliveryID int64) error {
	if _, err := s.store.GetWebhook(ctx, ownerID, projectID, webhookID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &model.NotFoundError{What: "webhook"}
		}
		return err
	}
	return s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.ResetDelivery(ctx, webhookID, deliveryID); err != nil {
			return &model.NotFoundError{What: "delivery"}
		}
		return tx.Enqueue(ctx, DeliveryArgs{DeliveryID: deliveryID})
	})
}

// Event is what a webhook receives: {"id", "type", "created_at", "project_id", "data"}.
type Event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	ProjectID int64     `json:"project_id"`
	Data      any       `json:"data"`
}

// Emit records the event for every enabled endpoint of the project subscribed to its type, and
// schedules the deliveries, in tx: the event exists exactly when the change that caused it does. A
// project without webhooks costs a map lookup; a nil Service records nothing.
func (s *Service) Emit(ctx context.Context, tx store.Store, projectID int64, eventType string, data any) error {
	if s == nil {
		return nil
	}
	hooks, err := s.subscribers(ctx, projectID, eventType)
	if err != nil || len(hooks) == 0 {
		return err
	}
	ev := Event{ID: "evt_" + randomID(), Type: eventType, CreatedAt: s.now().UTC().Truncate(time.Millisecond), ProjectID: projectID, Data: data}
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("webhook: encode %s: %w", eventType, err)
	}
	for _, w := range hooks {
		d, err := tx.CreateWebhookDelivery(ctx, model.WebhookDelivery{WebhookID: w.ID, EventID: ev.ID, EventType: eventType, Payload: string(payload)})
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted a moment ago
		}
		if err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, DeliveryArgs{DeliveryID: d.ID}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) subscribers(ctx context.Context, projectID int64, eventType string) ([]model.Webhook, error) {
	now := s.now()
	s.mu.Lock()
	sub, ok := s.subscribed[projectID]
	s.mu.Unlock()
	if !ok || now.After(sub.expires) {
		hooks, err := s.store.EnabledWebhooks(ctx, projectID)
		if err != nil {
			return nil, err
		}
		sub = subscription{hooks: hooks, expires: now.Add(subscriptionTTL)}
		s.mu.Lock()
		if len(s.subscribed) > 100_000 {
			clear(s.subscribed)
		}
		s.subscribed[projectID] = sub
		s.mu.Unlock()
	}
	var out []model.Webhook
	for _, w := range sub.hooks {
		if slices.Contains(w.Events, eventType) {
			out = append(out, w)
		}
	}
	return out, nil
}

func (s *Service) forget(projectID int64) {
	s.mu.Lock()
	delete(s.subscribed, projectID)
	s.mu.Unlock()
}

// newSecret is a Standard Webhooks secret: whsec_ and 24 random bytes in base64.
func newSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
