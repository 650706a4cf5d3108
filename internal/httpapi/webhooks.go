package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// CreateWebhook implements apigen.StrictServerInterface.
func (h *Handlers) CreateWebhook(ctx context.Context, req apigen.CreateWebhookRequestObject) (apigen.CreateWebhookResponseObject, error) {
	events := eventsFromAPI(req.Body.Events)
	w, err := h.webhooks.Create(ctx, auth.UserID(ctx), req.ProjectId, webhook.Input{URL: &req.Body.Url, Events: &events, Description: req.Body.Description})
	if err != nil {
		return nil, err
	}
	return apigen.CreateWebhook201JSONResponse(webhookWithSecret(w)), nil
}

// ListWebhooks implements apigen.StrictServerInterface.
func (h *Handlers) ListWebhooks(ctx context.Context, req apigen.ListWebhooksRequestObject) (apigen.ListWebhooksResponseObject, error) {
	ws, err := h.webhooks.List(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	out := make(apigen.ListWebhooks200JSONResponse, len(ws))
	for i, w := range ws {
		out[i] = webhookToAPI(w)
	}
	return out, nil
}

// GetWebhook implements apigen.StrictServerInterface.
func (h *Handlers) GetWebhook(ctx context.Context, req apigen.GetWebhookRequestObject) (apigen.GetWebhookResponseObject, error) {
	w, err := h.store.GetWebhook(ctx, auth.UserID(ctx), req.ProjectId, req.WebhookId)
	if err != nil {
		return nil, err
	}
	return apigen.GetWebhook200JSONResponse(webhookToAPI(w)), nil
}

// UpdateWebhook implements apigen.StrictServerInterface.
func (h *Handlers) UpdateWebhook(ctx context.Context, req apigen.UpdateWebhookRequestObject) (apigen.UpdateWebhookResponseObject, error) {
	in := webhook.Input{URL: req.Body.Url, Description: req.Body.Description, Enabled: req.Body.Enabled}
	if req.Body.Events != nil {
		events := eventsFromAPI(*req.Body.Events)
		in.Events = &events
	}
	w, err := h.webhooks.Update(ctx, auth.UserID(ctx), req.ProjectId, req.WebhookId, in)
	if err != nil {
		return nil, err
	}
	return apigen.UpdateWebhook200JSONResponse(webhookToAPI(w)), nil
}

// DeleteWebhook implements apigen.StrictServerInterface.
func (h *Handlers) DeleteWebhook(ctx context.Context, req apigen.DeleteWebhookRequestObject) (apigen.DeleteWebhookResponseObject, error) {
	if err := h.webhooks.Delete(ctx, auth.UserID(ctx), req.ProjectId, req.WebhookId); err != nil {
		return nil, err
	}
	return apigen.DeleteWebhook204Response{}, nil
}

// RotateWebhookSecret implements apigen.StrictServerInterface.
func (h *Handlers) RotateWebhookSecret(ctx context.Context, req apigen.RotateWebhookSecretRequestObject) (apigen.RotateWebhookSecretResponseObject, error) {
	w, err := h.webhooks.RotateSecret(ctx, auth.UserID(ctx), req.ProjectId, req.WebhookId)
	if err != nil {
		return nil, err
	}
	return apigen.RotateWebhookSecret200JSONResponse(webhookWithSecret(w)), nil
}

// ListWebhookDeliveries implements apigen.StrictServerInterface.
func (h *Handlers) ListWebhookDeliveries(ctx context.Context, req apigen.ListWebhookDeliveriesRequestObject) (apigen.ListWebhookDeliveriesResponseObject, error) {
	uid := auth.UserID(ctx)
	if _, err := h.store.GetWebhook(ctx, uid, req.ProjectId, req.WebhookId); err != nil {
		return nil, err
	}
	ds, err := h.store.ListDeliveries(ctx, uid, req.ProjectId, req.WebhookId)
	if err != nil {
		return nil, err
	}
	out := make(apigen.ListWebhookDeliveries200JSONResponse, len(ds))
	for i, d := range ds {
		out[i] = apigen.WebhookDelivery{Id: d.ID, EventId: d.EventID, EventType: apigen.WebhookEventType(d.EventType),
			Status: apigen.WebhookDeliveryStatus(d.Status), Attempts: d.Attempts, ResponseStatus: d.ResponseStatus,
			LatencyMs: d.LatencyMS, Error: d.Error, CreatedAt: d.CreatedAt, LastAttemptAt: d.LastAttemptAt}
	}
	return out, nil
}

// RedeliverWebhookDelivery implements apigen.StrictServerInterface.
func (h *Handlers) RedeliverWebhookDelivery(ctx context.Context, req apigen.RedeliverWebhookDeliveryRequestObject) (apigen.RedeliverWebhookDeliveryResponseObject, error) {
	if err := h.webhooks.Redeliver(ctx, auth.UserID(ctx), req.ProjectId, req.WebhookId, req.DeliveryId); err != nil {
		return nil, err
	}
	return apigen.RedeliverWebhookDelivery202Response{}, nil
}

func eventsFromAPI(in []apigen.WebhookEventType) []string {
	out := make([]string, len(in))
	for i, e := range in {
		out[i] = string(e)
	}
	return out
}

func webhookToAPI(w model.Webhook) apigen.Webhook {
	events := make([]apigen.WebhookEventType, len(w.Events))
	for i, e := range w.Events {
		events[i] = apigen.WebhookEventType(e)
	}
	return apigen.Webhook{Id: w.ID, ProjectId: w.ProjectID, Url: w.URL, Events: events, Description: w.Description,
		Enabled: w.Enabled, DisabledReason: w.DisabledReason, FailingSince: w.FailingSince, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func webhookWithSecret(w model.Webhook) apigen.WebhookWithSecret {
	a := webhookToAPI(w)
	// The generated WebhookWithSecret is Webhook's fields plus Secret (allOf): the same field list.
	return apigen.WebhookWithSecret{Id: a.Id, ProjectId: a.ProjectId, Url: a.Url, Events: a.Events, Description: a.Description,
		Enabled: a.Enabled, DisabledReason: a.DisabledReason, FailingSince: a.FailingSince, CreatedAt: a.CreatedAt,
		UpdatedAt: a.UpdatedAt, Secret: w.Secret}
}
