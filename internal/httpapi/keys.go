package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// CreateKey implements apigen.StrictServerInterface.
func (h *Handlers) CreateKey(ctx context.Context, req apigen.CreateKeyRequestObject) (apigen.CreateKeyResponseObject, error) {
	b := req.Body
	k, err := h.keys.Create(ctx, auth.UserID(ctx), req.ProjectId, string(b.Kind), apikey.Settings{
		Name: &b.Name, Scopes: scopeStrings(b.Scopes), AllowedOrigins: b.AllowedOrigins, ExpiresAt: b.ExpiresAt,
		RateLimitPerMinute: int64Ptr(b.RateLimitPerMinute), RequireSignedUser: b.RequireSignedUser,
		VisitorMessagesPerDay: int64Ptr(b.VisitorMessagesPerDay),
		BudgetMonthlyMicroUSD: apikey.ChangeTo(microUSDPtr(b.BudgetMonthlyUsd)), BudgetMonthlyTokens: apikey.ChangeTo(b.BudgetMonthlyTokens),
		EndUserDailyTokens: apikey.ChangeTo(b.EndUserDailyTokens), EndUserMonthlyTokens: apikey.ChangeTo(b.EndUserMonthlyTokens),
		PinnedRelease: apikey.ChangeTo(b.PinnedRelease),
	})
	if err != nil {
		return nil, err
	}
	a := keyToAPI(k.APIKey)
	out := apigen.KeyCreated{
		Id: a.Id, ProjectId: a.ProjectId, Name: a.Name, Kind: a.Kind, Prefix: a.Prefix, Scopes: a.Scopes,
		AllowedOrigins: a.AllowedOrigins, ExpiresAt: a.ExpiresAt, RateLimitPerMinute: a.RateLimitPerMinute,
		RequireSignedUser: a.RequireSignedUser, VisitorMessagesPerDay: a.VisitorMessagesPerDay,
		BudgetMonthlyUsd: a.BudgetMonthlyUsd, BudgetMonthlyTokens: a.BudgetMonthlyTokens,
		EndUserDailyTokens: a.EndUserDailyTokens, EndUserMonthlyTokens: a.EndUserMonthlyTokens,
		PinnedRelease: a.PinnedRelease, CreatedAt: a.CreatedAt, LastUsedAt: a.LastUsedAt, Key: k.Key,
	}
	if k.Kind == model.KeyPublishable {
		out.IdentitySecret = &k.IdentitySecret
	}
	return apigen.CreateKey201JSONResponse(out), nil
}

// ListKeys implements apigen.StrictServerInterface.
func (h *Handlers) ListKeys(ctx context.Context, req apigen.ListKeysRequestObject) (apigen.ListKeysResponseObject, error) {
	ks, err := h.keys.List(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	return apigen.ListKeys200JSONResponse(mapSlice(ks, keyToAPI)), nil
}

// UpdateKey implements apigen.StrictServerInterface.
func (h *Handlers) UpdateKey(ctx context.Context, req apigen.UpdateKeyRequestObject) (apigen.UpdateKeyResponseObject, error) {
	b := req.Body
	in := apikey.Settings{
		Name: b.Name, Scopes: scopeStrings(b.Scopes), AllowedOrigins: b.AllowedOrigins, RequireSignedUser: b.RequireSignedUser,
		VisitorMessagesPerDay: int64Ptr(b.VisitorMessagesPerDay),
		ClearExpiry:           b.ExpiresAt.IsNull(), ClearRateLimit: b.RateLimitPerMinute.IsNull(),
		BudgetMonthlyTokens: change(b.BudgetMonthlyTokens), EndUserDailyTokens: change(b.EndUserDailyTokens),
		EndUserMonthlyTokens: change(b.EndUserMonthlyTokens), PinnedRelease: change(b.PinnedRelease),
	}
	usd := change(b.BudgetMonthlyUsd)
	in.BudgetMonthlyMicroUSD = apikey.Change[int64]{Set: usd.Set, To: microUSDPtr(usd.To)}
	if t, err := b.ExpiresAt.Get(); err == nil {
		in.ExpiresAt = &t
	}
	if n, err := b.RateLimitPerMinute.Get(); err == nil {
		in.RateLimitPerMinute = int64Ptr(&n)
	}
	k, err := h.keys.Update(ctx, auth.UserID(ctx), req.KeyId, in)
	if err != nil {
		return nil, err
	}
	return apigen.UpdateKey200JSONResponse(keyToAPI(k)), nil
}

// DeleteKey implements apigen.StrictServerInterface.
func (h *Handlers) DeleteKey(ctx context.Context, req apigen.DeleteKeyRequestObject) (apigen.DeleteKeyResponseObject, error) {
	if err := h.keys.Revoke(ctx, auth.UserID(ctx), req.KeyId); err != nil {
		return nil, err
	}
	return apigen.DeleteKey204Response{}, nil
}

// RotateIdentitySecret implements apigen.StrictServerInterface.
func (h *Handlers) RotateIdentitySecret(ctx context.Context, req apigen.RotateIdentitySecretRequestObject) (apigen.RotateIdentitySecretResponseObject, error) {
	secret, err := h.keys.RotateIdentitySecret(ctx, auth.UserID(ctx), req.KeyId)
	if err != nil {
		return nil, err
	}
	return apigen.RotateIdentitySecret200JSONResponse{IdentitySecret: secret}, nil
}

func keyToAPI(k model.APIKey) apigen.ApiKey {
	return apigen.ApiKey{
		Id: k.ID, ProjectId: k.ProjectID, Name: k.Name, Kind: apigen.KeyKind(k.Kind), Prefix: k.Prefix,
		Scopes: mapSlice(k.Scopes, func(s string) apigen.KeyScope { return apigen.KeyScope(s) }), AllowedOrigins: k.AllowedOrigins,
		ExpiresAt: k.ExpiresAt, RateLimitPerMinute: intPtr(k.RateLimitPerMinute), RequireSignedUser: k.RequireSignedUser,
		VisitorMessagesPerDay: int(k.VisitorMessagesPerDay), CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt,
		BudgetMonthlyUsd: usdPtr(k.BudgetMonthlyMicroUSD), BudgetMonthlyTokens: k.BudgetMonthlyTokens,
		EndUserDailyTokens: k.EndUserDailyTokens, EndUserMonthlyTokens: k.EndUserMonthlyTokens, PinnedRelease: k.PinnedRelease,
	}
}

// change turns a PATCH field (absent, null or a value) into a service Change.
func change[T any](n nullable.Nullable[T]) apikey.Change[T] {
	if !n.IsSpecified() {
		return apikey.Change[T]{}
	}
	if n.IsNull() {
		return apikey.Change[T]{Set: true}
	}
	v, _ := n.Get()
	return apikey.Change[T]{Set: true, To: &v}
}

func scopeStrings(s *[]apigen.KeyScope) *[]string {
	if s == nil {
		return nil
	}
	out := mapSlice(*s, func(x apigen.KeyScope) string { return string(x) })
	return &out
}
