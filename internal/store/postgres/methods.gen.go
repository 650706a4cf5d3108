// Code generated from internal/store/sqlite/methods.go by make generate. DO NOT EDIT.

package postgres

// The methods below serve both engines: make generate copies them from internal/store/sqlite/methods.go
// to internal/store/postgres/methods.gen.go, over that package's sqlcgen (the same shapes).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres/sqlcgen"
)

// affected maps "no row changed" to ErrNotFound.
func affected(n int64, err error) error {
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (s *Store) CreateUser(ctx context.Context, email, passwordHash string) (model.User, error) {
	u, err := s.w.CreateUser(ctx, sqlcgen.CreateUserParams{Email: email, HashedPassword: passwordHash, CreatedAt: store.Now()})
	return userModel(u), mapErr(err)
}

func (s *Store) GetUserByEmail(ctx context.Context, email string) (model.User, error) {
	u, err := s.r.GetUserByEmail(ctx, email)
	return userModel(u), mapErr(err)
}

func (s *Store) GetUserByID(ctx context.Context, id int64) (model.User, error) {
	u, err := s.r.GetUserByID(ctx, id)
	return userModel(u), mapErr(err)
}

func (s *Store) SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error {
	return affected(s.w.UpdateUserPassword(ctx, sqlcgen.UpdateUserPasswordParams{ID: userID, HashedPassword: passwordHash}))
}

func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return affected(s.w.DeleteUser(ctx, id))
}

func (s *Store) PutEmailToken(ctx context.Context, t model.EmailToken) error {
	return s.InTx(ctx, func(st store.Store) error {
		tx := st.(*Store)
		// The user's row lock orders concurrent links of one user, so the last one replaces all others.
		if err := affected(tx.w.LockUser(ctx, t.UserID)); err != nil {
			return err
		}
		if err := tx.w.DeleteEmailTokens(ctx, sqlcgen.DeleteEmailTokensParams{UserID: t.UserID, Purpose: t.Purpose}); err != nil {
			return mapErr(err)
		}
		return mapErr(tx.w.CreateEmailToken(ctx, sqlcgen.CreateEmailTokenParams{
			TokenHash: t.Hash, UserID: t.UserID, Purpose: t.Purpose, Email: t.Email, CreatedAt: store.Now(), ExpiresAt: t.ExpiresAt,
		}))
	})
}

func (s *Store) TakeEmailToken(ctx context.Context, hash []byte, purpose string) (model.EmailToken, error) {
	r, err := s.w.TakeEmailToken(ctx, sqlcgen.TakeEmailTokenParams{TokenHash: hash, Purpose: purpose})
	if err != nil {
		return model.EmailToken{}, mapErr(err)
	}
	return model.EmailToken{Hash: r.TokenHash, UserID: r.UserID, Purpose: r.Purpose, Email: r.Email, ExpiresAt: r.ExpiresAt}, nil
}

func (s *Store) SetEmailVerified(ctx context.Context, userID int64, email string, t time.Time) (bool, error) {
	n, err := s.w.SetEmailVerified(ctx, sqlcgen.SetEmailVerifiedParams{ID: userID, Email: email, VerifiedAt: &t})
	return n > 0, mapErr(err)
}

func (s *Store) CreateProject(ctx context.Context, p model.Project) (model.Project, error) {
	row, err := s.w.CreateProject(ctx, sqlcgen.CreateProjectParams{
		OwnerID: p.OwnerID, Name: p.Name, Model: p.Model, Temperature: p.Temperature,
		MaxOutputTokens: p.MaxOutputTokens, CreatedAt: store.Now(),
	})
	return projectModel(row), mapErr(err)
}

func (s *Store) GetProject(ctx context.Context, ownerID, id int64) (model.Project, error) {
	row, err := s.r.GetProject(ctx, sqlcgen.GetProjectParams{ID: id, OwnerID: ownerID})
	return projectModel(row), mapErr(err)
}

func (s *Store) ListProjects(ctx context.Context, ownerID int64) ([]model.Project, error) {
	rows, err := s.r.ListProjects(ctx, ownerID)
	return mapAll(rows, func(r sqlcgen.ListProjectsRow) model.Project {
		return projectModel(sqlcgen.Project{
			ID: r.ID, OwnerID: ownerID, Name: r.Name, Model: r.Model, Temperature: r.Temperature, MaxOutputTokens: r.MaxOutputTokens,
			PriceInput: r.PriceInput, PriceCachedInput: r.PriceCachedInput, PriceOutput: r.PriceOutput, CreatedAt: r.CreatedAt,
		})
	}), mapErr(err)
}

func (s *Store) UpdateProject(ctx context.Context, p model.Project) (model.Project, error) {
	row, err := s.w.UpdateProject(ctx, sqlcgen.UpdateProjectParams{
		ID: p.ID, OwnerID: p.OwnerID, Name: p.Name, Model: p.Model, Temperature: p.Temperature,
		MaxOutputTokens: p.MaxOutputTokens, UpdatedAt: store.Now(),
		PriceInput:       priceField(p.CustomPrice, func(pr *model.Price) int64 { return pr.Input }),
		PriceCachedInput: priceField(p.CustomPrice, func(pr *model.Price) int64 { return pr.CachedInput }),
		PriceOutput:      priceField(p.CustomPrice, func(pr *model.Price) int64 { return pr.Output }),
	})
	return projectModel(row), mapErr(err)
}

func (s *Store) SetProjectVectorStore(ctx context.Context, ownerID, id int64, vectorStoreID string) error {
	return affected(s.w.SetProjectVectorStore(ctx, sqlcgen.SetProjectVectorStoreParams{
		ID: id, OwnerID: ownerID, VectorStoreID: store.NullString(vectorStoreID), UpdatedAt: store.Now(),
	}))
}

func (s *Store) ClaimProjectVectorStore(ctx context.Context, ownerID, id int64, vectorStoreID string) (bool, error) {
	n, err := s.w.ClaimProjectVectorStore(ctx, sqlcgen.ClaimProjectVectorStoreParams{
		ID: id, OwnerID: ownerID, VectorStoreID: store.NullString(vectorStoreID), UpdatedAt: store.Now(),
	})
	if err != nil || n > 0 {
		return n > 0, mapErr(err)
	}
	_, err = s.GetProject(ctx, ownerID, id) // nothing updated: missing, or someone else's claim won
	return false, err
}

func (s *Store) DeleteProject(ctx context.Context, ownerID, id int64) error {
	return affected(s.w.DeleteProject(ctx, sqlcgen.DeleteProjectParams{ID: id, OwnerID: ownerID}))
}

func (s *Store) LockProject(ctx context.Context, ownerID, id int64) error {
	return affected(s.w.LockProject(ctx, sqlcgen.LockProjectParams{ID: id, OwnerID: ownerID}))
}

func (s *Store) NextPromptPosition(ctx context.Context, projectID int64) (int64, error) {
	n, err := s.r.NextPromptPosition(ctx, projectID)
	return n, mapErr(err)
}

func (s *Store) CreatePrompt(ctx context.Context, ownerID int64, p model.Prompt) (model.Prompt, error) {
	row, err := s.w.CreatePrompt(ctx, sqlcgen.CreatePromptParams{
		ProjectID: p.ProjectID, OwnerID: ownerID, Name: p.Name, Content: p.Content,
		Position: p.Position, Enabled: p.Enabled, CreatedAt: store.Now(),
	})
	return promptModel(row), mapErr(err)
}

func (s *Store) GetPrompt(ctx context.Context, ownerID, id int64) (model.Prompt, error) {
	row, err := s.r.GetPrompt(ctx, sqlcgen.GetPromptParams{ID: id, OwnerID: ownerID})
	return promptModel(row), mapErr(err)
}

func (s *Store) ListPrompts(ctx context.Context, ownerID, projectID int64) ([]model.Prompt, error) {
	rows, err := s.r.ListPrompts(ctx, sqlcgen.ListPromptsParams{ProjectID: projectID, OwnerID: ownerID})
	return mapAll(rows, promptModel), mapErr(err)
}

func (s *Store) PagePrompts(ctx context.Context, ownerID, projectID int64, p store.Page) ([]model.Prompt, error) {
	rows, err := s.r.PagePrompts(ctx, sqlcgen.PagePromptsParams{
		ProjectID: projectID, OwnerID: ownerID, AfterPosition: p.After.Position, AfterID: p.After.ID, Lim: int64(p.Limit),
	})
	return mapAll(rows, promptModel), mapErr(err)
}

func (s *Store) UpdatePrompt(ctx context.Context, ownerID int64, p model.Prompt) (model.Prompt, error) {
	row, err := s.w.UpdatePrompt(ctx, sqlcgen.UpdatePromptParams{
		ID: p.ID, OwnerID: ownerID, Name: p.Name, Content: p.Content, Position: p.Position,
		Enabled: p.Enabled, UpdatedAt: store.Now(),
	})
	return promptModel(row), mapErr(err)
}

func (s *Store) DeletePrompt(ctx context.Context, ownerID, id int64) error {
	return affected(s.w.DeletePrompt(ctx, sqlcgen.DeletePromptParams{ID: id, OwnerID: ownerID}))
}

func (s *Store) CreateFile(ctx context.Context, ownerID int64, f model.File) (model.File, error) {
	row, err := s.w.CreateFile(ctx, sqlcgen.CreateFileParams{
		ProjectID: f.ProjectID, OwnerID: ownerID, Filename: f.Filename, OpenaiFileID: f.OpenAIFileID,
		FileSize: f.Size, ContentType: f.ContentType, Status: f.Status, StatusDetail: f.StatusDetail,
		CreatedAt: store.Now(),
	})
	return fileModel(row), mapErr(err)
}

func (s *Store) GetFile(ctx context.Context, ownerID, id int64) (model.File, error) {
	row, err := s.r.GetFile(ctx, sqlcgen.GetFileParams{ID: id, OwnerID: ownerID})
	return fileModel(row), mapErr(err)
}

func (s *Store) ListFiles(ctx context.Context, ownerID, projectID int64) ([]model.File, error) {
	rows, err := s.r.ListFiles(ctx, sqlcgen.ListFilesParams{ProjectID: projectID, OwnerID: ownerID})
	return mapAll(rows, fileModel), mapErr(err)
}

func (s *Store) DeleteProjectFiles(ctx context.Context, ownerID, projectID int64) ([]model.File, error) {
	rows, err := s.w.DeleteProjectFiles(ctx, sqlcgen.DeleteProjectFilesParams{ProjectID: projectID, OwnerID: ownerID})
	return mapAll(rows, fileModel), mapErr(err)
}

func (s *Store) PageFiles(ctx context.Context, ownerID, projectID int64, p store.Page) ([]model.File, error) {
	rows, err := s.r.PageFiles(ctx, sqlcgen.PageFilesParams{ProjectID: projectID, OwnerID: ownerID, AfterID: p.After.ID, Lim: int64(p.Limit)})
	return mapAll(rows, fileModel), mapErr(err)
}

func (s *Store) SetFileStatus(ctx context.Context, ownerID, id int64, status, detail string) error {
	return affected(s.w.UpdateFileStatus(ctx, sqlcgen.UpdateFileStatusParams{ID: id, OwnerID: ownerID, Status: status, StatusDetail: detail}))
}

func (s *Store) DeleteFile(ctx context.Context, ownerID, id int64) error {
	return affected(s.w.DeleteFile(ctx, sqlcgen.DeleteFileParams{ID: id, OwnerID: ownerID}))
}

func (s *Store) CreateConversation(ctx context.Context, ownerID int64, c model.Conversation) (model.Conversation, error) {
	now := store.Now()
	id, err := createConversation(ctx, s.w, sqlcgen.CreateConversationParams{
		ProjectID: c.ProjectID, OwnerID: ownerID, Title: c.Title, KeyID: c.KeyID, EndUser: c.EndUser, CreatedAt: now,
	})
	if err != nil {
		return model.Conversation{}, mapErr(err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	return c, nil
}

func (s *Store) GetConversation(ctx context.Context, ownerID, id int64) (model.Conversation, error) {
	row, err := s.r.GetConversation(ctx, sqlcgen.GetConversationParams{ID: id, OwnerID: ownerID})
	return conversationModel(sqlcgen.ListConversationsRow(row)), mapErr(err)
}

func (s *Store) ListConversations(ctx context.Context, ownerID, projectID int64, f store.ConversationFilter, p store.Page) ([]model.Conversation, error) {
	before, beforeID := p.After.Time, p.After.ID
	if before.IsZero() {
		before, beforeID = store.EndOfTime, math.MaxInt64
	}
	var search *string
	if f.Search != nil {
		pattern := store.LikePattern(*f.Search)
		search = &pattern
	}
	rows, err := s.r.ListConversations(ctx, sqlcgen.ListConversationsParams{
		ProjectID: projectID, OwnerID: ownerID, KeyID: f.KeyID, EndUser: f.EndUser, Search: search,
		BeforeAt: before.UTC(), BeforeID: beforeID, Lim: int64(p.Limit),
	})
	return mapAll(rows, conversationModel), mapErr(err)
}

func (s *Store) RenameConversation(ctx context.Context, ownerID, id int64, title string) error {
	return affected(s.w.RenameConversation(ctx, sqlcgen.RenameConversationParams{ID: id, OwnerID: ownerID, Title: title}))
}

func (s *Store) DeleteConversation(ctx context.Context, ownerID, id int64) error {
	return affected(s.w.DeleteConversation(ctx, sqlcgen.DeleteConversationParams{ID: id, OwnerID: ownerID}))
}

func (s *Store) AddMessages(ctx context.Context, msgs ...model.Message) ([]model.Message, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	var out []model.Message
	err := s.InTx(ctx, func(tx store.Store) (err error) {
		q, now := tx.(*Store).w, store.Now()
		if out, err = insertMessages(ctx, q, msgs[0].ConversationID, now, msgs); err != nil {
			return err
		}
		return mapErr(q.TouchConversation(ctx, sqlcgen.TouchConversationParams{ID: msgs[0].ConversationID, UpdatedAt: now}))
	})
	return out, err
}

func (s *Store) StartConversation(ctx context.Context, ownerID int64, c model.Conversation, msgs ...model.Message) (model.Conversation, []model.Message, error) {
	var out []model.Message
	err := s.InTx(ctx, func(tx store.Store) (err error) {
		if c, err = tx.CreateConversation(ctx, ownerID, c); err != nil {
			return err
		}
		out, err = insertMessages(ctx, tx.(*Store).w, c.ID, c.CreatedAt, msgs) // created now: nothing to touch
		return err
	})
	return c, out, err
}

// insertMessages stores msgs in conversation convID at now: a question with its answer in one statement.
func insertMessages(ctx context.Context, q *sqlcgen.Queries, convID int64, now time.Time, msgs []model.Message) ([]model.Message, error) {
	out := make([]model.Message, len(msgs))
	citations := make([]string, len(msgs))
	for i, m := range msgs {
		raw, err := json.Marshal(store.NonNil(m.Citations))
		if err != nil {
			return nil, fmt.Errorf("postgres: encode citations: %w", err)
		}
		citations[i] = string(raw)
		out[i] = m
		out[i].ConversationID, out[i].CreatedAt, out[i].Citations = convID, now, store.NonNil(m.Citations)
	}
	if len(msgs) == 2 {
		a, b := msgs[0], msgs[1]
		ids, err := createMessagePair(ctx, q, sqlcgen.CreateMessagePairParams{
			ConversationID: convID, CreatedAt: now,
			Role: a.Role, Content: a.Content, Model: a.Model, InputTokens: a.InputTokens, OutputTokens: a.OutputTokens,
			LatencyMs: a.LatencyMS, Incomplete: a.Incomplete, Citations: citations[0], ReleaseNumber: a.Release,
			Role2: b.Role, Content2: b.Content, Model2: b.Model, InputTokens2: b.InputTokens, OutputTokens2: b.OutputTokens,
			LatencyMs2: b.LatencyMS, Incomplete2: b.Incomplete, Citations2: citations[1], ReleaseNumber2: b.Release,
		})
		if err != nil {
			return nil, mapErr(err)
		}
		out[0].ID, out[1].ID = ids[0], ids[1]
		return out, nil
	}
	for i, m := range msgs {
		id, err := q.CreateMessage(ctx, sqlcgen.CreateMessageParams{
			ConversationID: convID, Role: m.Role, Content: m.Content, Model: m.Model,
			InputTokens: m.InputTokens, OutputTokens: m.OutputTokens, LatencyMs: m.LatencyMS,
			Incomplete: m.Incomplete, Citations: citations[i], CreatedAt: now, ReleaseNumber: m.Release,
		})
		if err != nil {
			return nil, mapErr(err)
		}
		out[i].ID = id
	}
	return out, nil
}

func (s *Store) ListMessages(ctx context.Context, ownerID, conversationID int64, p store.Page) ([]model.Message, error) {
	rows, err := s.r.ListMessages(ctx, sqlcgen.ListMessagesParams{
		ConversationID: conversationID, OwnerID: ownerID, AfterID: p.After.ID, Lim: int64(p.Limit),
	})
	return mapAll(rows, messageModel), mapErr(err)
}

func (s *Store) RecentMessages(ctx context.Context, ownerID, conversationID int64, maxChars int) ([]model.Message, error) {
	rows, err := s.r.ListRecentMessages(ctx, sqlcgen.ListRecentMessagesParams{
		ConversationID: conversationID, OwnerID: ownerID, MaxChars: int64(maxChars),
	})
	return mapAll(rows, messageModel), mapErr(err)
}

func mapAll[R, M any](rows []R, f func(R) M) []M {
	out := make([]M, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

func (s *Store) SetDisplayName(ctx context.Context, userID int64, name string) (model.User, error) {
	u, err := s.w.UpdateUserDisplayName(ctx, sqlcgen.UpdateUserDisplayNameParams{ID: userID, DisplayName: name})
	return userModel(u), mapErr(err)
}

func (s *Store) CreateSession(ctx context.Context, sess model.Session) (model.Session, error) {
	row, err := s.w.CreateSession(ctx, sqlcgen.CreateSessionParams{UserID: sess.UserID, CreatedAt: store.Now(), Ip: sess.IP, UserAgent: sess.UserAgent})
	return sessionModel(row), mapErr(err)
}

func (s *Store) SessionUser(ctx context.Context, userID, sessionID int64) (model.User, model.Session, error) {
	row, err := s.r.GetSessionUser(ctx, sqlcgen.GetSessionUserParams{SessionID: sessionID, UserID: userID})
	if err != nil {
		return model.User{}, model.Session{}, mapErr(err)
	}
	u := model.User{ID: row.ID, Email: row.Email, PasswordHash: row.HashedPassword, DisplayName: row.DisplayName, CreatedAt: row.CreatedAt,
		EmailVerifiedAt: row.EmailVerifiedAt, MFAEnabled: row.TotpEnabled}
	return u, model.Session{ID: sessionID, UserID: userID, LastSeenAt: row.LastSeenAt}, nil
}

func (s *Store) ListSessions(ctx context.Context, userID int64) ([]model.Session, error) {
	rows, err := s.r.ListSessions(ctx, userID)
	return mapAll(rows, sessionModel), mapErr(err)
}

func (s *Store) DeleteSession(ctx context.Context, userID, id int64) error {
	return affected(s.w.DeleteSession(ctx, sqlcgen.DeleteSessionParams{ID: id, UserID: userID}))
}

func (s *Store) DeleteSessions(ctx context.Context, userID, exceptID int64) error {
	return mapErr(s.w.DeleteSessions(ctx, sqlcgen.DeleteSessionsParams{UserID: userID, ExceptID: exceptID}))
}

func (s *Store) TouchSession(ctx context.Context, id int64, t time.Time) error {
	return mapErr(s.w.TouchSession(ctx, sqlcgen.TouchSessionParams{ID: id, LastSeenAt: t}))
}

func sessionModel(r sqlcgen.Session) model.Session {
	return model.Session{ID: r.ID, UserID: r.UserID, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, IP: r.Ip, UserAgent: r.UserAgent}
}

func userModel(u sqlcgen.User) model.User {
	return model.User{ID: u.ID, Email: u.Email, PasswordHash: u.HashedPassword, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt,
		EmailVerifiedAt: u.EmailVerifiedAt, MFAEnabled: u.TotpEnabled}
}

func (s *Store) GetTOTP(ctx context.Context, userID int64) (model.TOTP, error) {
	row, err := s.r.GetUserTOTP(ctx, userID)
	return model.TOTP{Secret: row.TotpSecret, Enabled: row.TotpEnabled, LastStep: row.TotpLastStep}, mapErr(err)
}

// conflicted maps "no row changed" to ErrConflict (the row exists: the caller is signed in as it).
func conflicted(n int64, err error) error {
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

func (s *Store) StartTOTP(ctx context.Context, userID int64, secret string) error {
	return conflicted(s.w.StartTOTP(ctx, sqlcgen.StartTOTPParams{ID: userID, TotpSecret: secret}))
}

func (s *Store) EnableTOTP(ctx context.Context, userID int64, secret string, step int64, recoveryHashes []string) error {
	return s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).w
		if err := conflicted(q.EnableTOTP(ctx, sqlcgen.EnableTOTPParams{ID: userID, TotpSecret: secret, TotpLastStep: step})); err != nil {
			return err
		}
		if err := q.DeleteRecoveryCodes(ctx, userID); err != nil {
			return mapErr(err)
		}
		for _, h := range recoveryHashes {
			if err := q.CreateRecoveryCode(ctx, sqlcgen.CreateRecoveryCodeParams{UserID: userID, CodeHash: h}); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}

func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	n, err := s.w.UseTOTPStep(ctx, sqlcgen.UseTOTPStepParams{ID: userID, TotpLastStep: step})
	return n > 0, mapErr(err)
}

func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	n, err := s.w.UseRecoveryCode(ctx, sqlcgen.UseRecoveryCodeParams{UserID: userID, CodeHash: hash, UsedAt: store.NowPtr()})
	return n > 0, mapErr(err)
}

func (s *Store) CountRecoveryCodes(ctx context.Context, userID int64) (int64, error) {
	n, err := s.r.CountRecoveryCodes(ctx, userID)
	return n, mapErr(err)
}

func (s *Store) DisableTOTP(ctx context.Context, userID int64) error {
	return s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).w
		if err := conflicted(q.DisableTOTP(ctx, userID)); err != nil {
			return err
		}
		return mapErr(q.DeleteRecoveryCodes(ctx, userID))
	})
}

func projectModel(p sqlcgen.Project) model.Project {
	out := model.Project{
		ID: p.ID, OwnerID: p.OwnerID, Name: p.Name, Model: p.Model, Temperature: p.Temperature,
		MaxOutputTokens: p.MaxOutputTokens, VectorStoreID: store.Deref(p.VectorStoreID),
		BudgetMonthlyMicroUSD: p.BudgetMonthlyMicroUsd, BudgetMonthlyTokens: p.BudgetMonthlyTokens,
		PublishedRelease: p.PublishedRelease, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if p.PriceInput != nil && p.PriceOutput != nil {
		out.CustomPrice = &model.Price{Input: *p.PriceInput, CachedInput: *p.PriceInput, Output: *p.PriceOutput}
		if p.PriceCachedInput != nil {
			out.CustomPrice.CachedInput = *p.PriceCachedInput
		}
	}
	return out
}

func priceField(p *model.Price, f func(*model.Price) int64) *int64 {
	if p == nil {
		return nil
	}
	v := f(p)
	return &v
}

func (s *Store) SetProjectBudget(ctx context.Context, ownerID, id int64, microUSD, tokens *int64) (model.Project, error) {
	row, err := s.w.SetProjectBudget(ctx, sqlcgen.SetProjectBudgetParams{
		ID: id, OwnerID: ownerID, BudgetMonthlyMicroUsd: microUSD, BudgetMonthlyTokens: tokens, UpdatedAt: store.Now(),
	})
	return projectModel(row), mapErr(err)
}

func (s *Store) AddUsageEvent(ctx context.Context, e model.UsageEvent) error {
	return mapErr(s.w.AddUsageEvent(ctx, sqlcgen.AddUsageEventParams{
		CreatedAt: store.Now(), ProjectID: e.ProjectID, KeyID: e.KeyID, EndUser: e.EndUser, ConversationID: e.ConversationID,
		Operation: e.Operation, Model: e.Model, InputTokens: e.InputTokens, CachedInputTokens: e.CachedInputTokens,
		OutputTokens: e.OutputTokens, LatencyMs: e.LatencyMS, TtftMs: e.TTFTMS, Outcome: e.Outcome, CostMicroUsd: e.CostMicroUSD,
	}))
}

func (s *Store) ListUsageEvents(ctx context.Context, ownerID, projectID int64, since, until time.Time) ([]model.UsageEvent, error) {
	rows, err := s.r.ListUsageEvents(ctx, sqlcgen.ListUsageEventsParams{ProjectID: projectID, OwnerID: ownerID, Since: since, Until: until})
	return mapAll(rows, func(u sqlcgen.ListUsageEventsRow) model.UsageEvent {
		return model.UsageEvent{
			CreatedAt: u.CreatedAt, ProjectID: u.ProjectID, KeyID: u.KeyID, KeyName: store.Deref(u.KeyName), EndUser: u.EndUser,
			ConversationID: u.ConversationID, Operation: u.Operation, Model: u.Model, InputTokens: u.InputTokens,
			CachedInputTokens: u.CachedInputTokens, OutputTokens: u.OutputTokens, LatencyMS: u.LatencyMs, TTFTMS: u.TtftMs,
			Outcome: u.Outcome, CostMicroUSD: u.CostMicroUsd,
		}
	}), mapErr(err)
}

func (s *Store) SumUsage(ctx context.Context, projectID int64, since time.Time, keyID *int64, endUser *string) (int64, int64, error) {
	row, err := s.r.SumUsage(ctx, sqlcgen.SumUsageParams{ProjectID: projectID, Since: since, KeyID: keyID, EndUser: endUser})
	return row.Tokens, row.MicroUsd, mapErr(err)
}

func (s *Store) GetBudgetCounter(ctx context.Context, scope, period string) (model.BudgetCounter, error) {
	row, err := s.r.GetBudgetCounter(ctx, sqlcgen.GetBudgetCounterParams{Scope: scope, Period: period})
	return counterModel(row), mapErr(err)
}

func (s *Store) ReserveBudget(ctx context.Context, c model.BudgetCounter) (model.BudgetCounter, bool, error) {
	row, err := s.w.ReserveExistingBudget(ctx, sqlcgen.ReserveExistingBudgetParams{
		Scope: c.Scope, Period: c.Period, Tokens: c.ReservedTokens, MicroUsd: c.ReservedMicroUSD,
		LimitTokens: c.LimitTokens, LimitMicroUsd: c.LimitMicroUSD,
	})
	if err = mapErr(err); errors.Is(err, store.ErrNotFound) {
		if _, err = s.GetBudgetCounter(ctx, c.Scope, c.Period); err == nil {
			return model.BudgetCounter{}, false, nil // there, and spent
		}
		return model.BudgetCounter{}, false, err
	}
	return counterModel(row), err == nil, err
}

func (s *Store) SeedBudget(ctx context.Context, c model.BudgetCounter) (model.BudgetCounter, bool, error) {
	row, err := s.w.ReserveBudget(ctx, sqlcgen.ReserveBudgetParams{
		Scope: c.Scope, Period: c.Period, SeedTokens: c.SpentTokens, SeedMicroUsd: c.SpentMicroUSD,
		Tokens: c.ReservedTokens, MicroUsd: c.ReservedMicroUSD, LimitTokens: c.LimitTokens, LimitMicroUsd: c.LimitMicroUSD,
	})
	if err := mapErr(err); errors.Is(err, store.ErrNotFound) {
		return model.BudgetCounter{}, false, nil
	} else if err != nil {
		return model.BudgetCounter{}, false, err
	}
	return counterModel(row), true, nil
}

func (s *Store) SettleBudget(ctx context.Context, scope, period string, spentTokens, spentMicroUSD, reservedTokens, reservedMicroUSD int64) (model.BudgetCounter, error) {
	row, err := s.w.SettleBudget(ctx, sqlcgen.SettleBudgetParams{
		Scope: scope, Period: period, SpentTokens: spentTokens, SpentMicroUsd: spentMicroUSD,
		ReservedTokens: reservedTokens, ReservedMicroUsd: reservedMicroUSD,
	})
	return counterModel(row), mapErr(err)
}

func counterModel(c sqlcgen.BudgetCounter) model.BudgetCounter {
	return model.BudgetCounter{
		Scope: c.Scope, Period: c.Period, SpentTokens: c.SpentTokens, SpentMicroUSD: c.SpentMicroUsd,
		ReservedTokens: c.ReservedTokens, ReservedMicroUSD: c.ReservedMicroUsd, LimitTokens: c.LimitTokens, LimitMicroUSD: c.LimitMicroUsd,
	}
}

func promptModel(p sqlcgen.Prompt) model.Prompt {
	return model.Prompt{
		ID: p.ID, ProjectID: p.ProjectID, Name: p.Name, Content: p.Content, Position: p.Position,
		Enabled: p.Enabled, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func fileModel(f sqlcgen.ProjectFile) model.File {
	return model.File{
		ID: f.ID, ProjectID: f.ProjectID, Filename: f.Filename, OpenAIFileID: f.OpenaiFileID, Size: f.FileSize,
		ContentType: f.ContentType, Status: f.Status, StatusDetail: f.StatusDetail, CreatedAt: f.CreatedAt,
	}
}

func conversationModel(c sqlcgen.ListConversationsRow) model.Conversation {
	return model.Conversation{
		ID: c.ID, ProjectID: c.ProjectID, Title: c.Title, KeyID: c.KeyID, KeyName: store.Deref(c.KeyName),
		EndUser: c.EndUser, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

func (s *Store) CreateKey(ctx context.Context, ownerID int64, k model.APIKey) (model.APIKey, error) {
	row, err := s.w.CreateKey(ctx, sqlcgen.CreateKeyParams{
		ProjectID: k.ProjectID, OwnerID: ownerID, Name: k.Name, Kind: k.Kind, Prefix: k.Prefix, KeyHash: k.Hash,
		Scopes: store.EncodeList(k.Scopes), AllowedOrigins: store.EncodeList(k.AllowedOrigins), IdentitySecret: k.IdentitySecret,
		ExpiresAt: k.ExpiresAt, RateLimitPerMinute: k.RateLimitPerMinute, RequireSignedUser: k.RequireSignedUser,
		VisitorMessagesPerDay: k.VisitorMessagesPerDay, BudgetMonthlyMicroUsd: k.BudgetMonthlyMicroUSD,
		BudgetMonthlyTokens: k.BudgetMonthlyTokens, EndUserDailyTokens: k.EndUserDailyTokens, EndUserMonthlyTokens: k.EndUserMonthlyTokens,
		PinnedRelease: k.PinnedRelease, CreatedAt: store.Now(),
	})
	return keyModel(row), mapErr(err)
}

func (s *Store) GetKey(ctx context.Context, ownerID, id int64) (model.APIKey, error) {
	row, err := s.r.GetKey(ctx, sqlcgen.GetKeyParams{ID: id, OwnerID: ownerID})
	return keyModel(row), mapErr(err)
}

func (s *Store) ListKeys(ctx context.Context, ownerID, projectID int64) ([]model.APIKey, error) {
	rows, err := s.r.ListKeys(ctx, sqlcgen.ListKeysParams{ProjectID: projectID, OwnerID: ownerID})
	return mapAll(rows, keyModel), mapErr(err)
}

func (s *Store) UpdateKey(ctx context.Context, ownerID int64, k model.APIKey) (model.APIKey, error) {
	row, err := s.w.UpdateKey(ctx, sqlcgen.UpdateKeyParams{
		ID: k.ID, OwnerID: ownerID, Name: k.Name, Scopes: store.EncodeList(k.Scopes),
		AllowedOrigins: store.EncodeList(k.AllowedOrigins), ExpiresAt: k.ExpiresAt, RateLimitPerMinute: k.RateLimitPerMinute,
		RequireSignedUser: k.RequireSignedUser, VisitorMessagesPerDay: k.VisitorMessagesPerDay,
		BudgetMonthlyMicroUsd: k.BudgetMonthlyMicroUSD, BudgetMonthlyTokens: k.BudgetMonthlyTokens,
		EndUserDailyTokens: k.EndUserDailyTokens, EndUserMonthlyTokens: k.EndUserMonthlyTokens, PinnedRelease: k.PinnedRelease,
	})
	return keyModel(row), mapErr(err)
}

func (s *Store) SetKeyIdentitySecret(ctx context.Context, ownerID, id int64, secret string) error {
	return affected(s.w.SetKeyIdentitySecret(ctx, sqlcgen.SetKeyIdentitySecretParams{ID: id, OwnerID: ownerID, IdentitySecret: secret}))
}

func (s *Store) RevokeKey(ctx context.Context, ownerID, id int64) error {
	return affected(s.w.RevokeKey(ctx, sqlcgen.RevokeKeyParams{ID: id, OwnerID: ownerID, RevokedAt: store.NowPtr()}))
}

func (s *Store) KeyByHash(ctx context.Context, hash string) (model.APIKey, error) {
	row, err := s.r.GetKeyByHash(ctx, hash)
	if err != nil {
		return model.APIKey{}, mapErr(err)
	}
	k := keyModel(sqlcgen.ApiKey{
		ID: row.ID, ProjectID: row.ProjectID, Name: row.Name, Kind: row.Kind, Prefix: row.Prefix, KeyHash: row.KeyHash,
		Scopes: row.Scopes, AllowedOrigins: row.AllowedOrigins, IdentitySecret: row.IdentitySecret, ExpiresAt: row.ExpiresAt,
		RateLimitPerMinute: row.RateLimitPerMinute, RequireSignedUser: row.RequireSignedUser,
		VisitorMessagesPerDay: row.VisitorMessagesPerDay, CreatedAt: row.CreatedAt, LastUsedAt: row.LastUsedAt,
		BudgetMonthlyMicroUsd: row.BudgetMonthlyMicroUsd, BudgetMonthlyTokens: row.BudgetMonthlyTokens,
		EndUserDailyTokens: row.EndUserDailyTokens, EndUserMonthlyTokens: row.EndUserMonthlyTokens, PinnedRelease: row.PinnedRelease, Version: row.Version,
	})
	k.OwnerID = row.OwnerID
	return k, nil
}

func (s *Store) KeyVersion(ctx context.Context, hash string) (int64, error) {
	v, err := s.r.GetKeyVersion(ctx, hash)
	return v, mapErr(err)
}

func (s *Store) TouchKey(ctx context.Context, id int64, t time.Time) error {
	return mapErr(s.w.TouchKey(ctx, sqlcgen.TouchKeyParams{ID: id, LastUsedAt: &t}))
}

func (s *Store) CountEndUserMessages(ctx context.Context, keyID int64, endUser string, since time.Time) (int64, error) {
	n, err := s.r.CountEndUserMessagesSince(ctx, sqlcgen.CountEndUserMessagesSinceParams{KeyID: &keyID, EndUser: endUser, Since: since})
	return n, mapErr(err)
}

func keyModel(k sqlcgen.ApiKey) model.APIKey {
	return model.APIKey{
		ID: k.ID, ProjectID: k.ProjectID, Name: k.Name, Kind: k.Kind, Prefix: k.Prefix, Hash: k.KeyHash,
		Scopes: store.DecodeList(k.Scopes), AllowedOrigins: store.DecodeList(k.AllowedOrigins), IdentitySecret: k.IdentitySecret,
		ExpiresAt: k.ExpiresAt, RateLimitPerMinute: k.RateLimitPerMinute, RequireSignedUser: k.RequireSignedUser,
		VisitorMessagesPerDay: k.VisitorMessagesPerDay, BudgetMonthlyMicroUSD: k.BudgetMonthlyMicroUsd,
		BudgetMonthlyTokens: k.BudgetMonthlyTokens, EndUserDailyTokens: k.EndUserDailyTokens, EndUserMonthlyTokens: k.EndUserMonthlyTokens,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, PinnedRelease: k.PinnedRelease, Version: k.Version,
	}
}

func messageModel(m sqlcgen.Message) model.Message {
	return model.Message{
		ID: m.ID, ConversationID: m.ConversationID, Role: m.Role, Content: m.Content, Model: m.Model,
		InputTokens: m.InputTokens, OutputTokens: m.OutputTokens, LatencyMS: m.LatencyMs,
		Incomplete: m.Incomplete, Citations: store.DecodeCitations(m.Citations), Release: m.ReleaseNumber, CreatedAt: m.CreatedAt,
	}
}

// LockAndCountProjects holds the owner's row until the transaction ends and counts their projects.
func (s *Store) LockAndCountProjects(ctx context.Context, ownerID int64) (int64, error) {
	if err := affected(s.w.LockUser(ctx, ownerID)); err != nil {
		return 0, err
	}
	n, err := s.w.CountProjects(ctx, ownerID)
	return n, mapErr(err)
}

// LockAndCountPrompts holds the project's row until the transaction ends and counts its prompts.
func (s *Store) LockAndCountPrompts(ctx context.Context, ownerID, projectID int64) (int64, error) {
	if err := affected(s.w.LockProject(ctx, sqlcgen.LockProjectParams{ID: projectID, OwnerID: ownerID})); err != nil {
		return 0, err
	}
	n, err := s.w.CountPrompts(ctx, projectID)
	return n, mapErr(err)
}

// LockAndCountFiles holds the project's row until the transaction ends and counts its files.
func (s *Store) LockAndCountFiles(ctx context.Context, ownerID, projectID int64) (int64, error) {
	if err := affected(s.w.LockProject(ctx, sqlcgen.LockProjectParams{ID: projectID, OwnerID: ownerID})); err != nil {
		return 0, err
	}
	n, err := s.w.CountFiles(ctx, projectID)
	return n, mapErr(err)
}

func (s *Store) ClaimIdempotencyKey(ctx context.Context, k model.IdempotencyKey, expiredBefore, abandonedBefore time.Time) (bool, model.IdempotencyKey, error) {
	err := s.w.DeleteStaleIdempotencyKeys(ctx, sqlcgen.DeleteStaleIdempotencyKeysParams{
		OwnerID: k.OwnerID, ExpiredBefore: expiredBefore, AbandonedBefore: abandonedBefore,
	})
	if err != nil {
		return false, k, mapErr(err)
	}
	// A row the first request releases between the insert and the read is claimed on the next try.
	for range 2 {
		ids, err := s.w.InsertIdempotencyKey(ctx, sqlcgen.InsertIdempotencyKeyParams{
			OwnerID: k.OwnerID, Caller: k.Caller, IdemKey: k.Key, Fingerprint: k.Fingerprint, CreatedAt: store.Now(),
		})
		if err != nil {
			return false, k, mapErr(err)
		}
		if len(ids) == 1 {
			k.ID = ids[0]
			return true, k, nil
		}
		row, err := s.w.GetIdempotencyKey(ctx, sqlcgen.GetIdempotencyKeyParams{OwnerID: k.OwnerID, Caller: k.Caller, IdemKey: k.Key})
		if err = mapErr(err); errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, k, err
		}
		return false, model.IdempotencyKey{ID: row.ID, OwnerID: row.OwnerID, Caller: row.Caller, Key: row.IdemKey,
			Fingerprint: row.Fingerprint, Result: row.Result, CreatedAt: row.CreatedAt}, nil
	}
	return false, k, store.ErrConflict
}

func (s *Store) SetIdempotencyResult(ctx context.Context, id int64, result string) error {
	return affected(s.w.SetIdempotencyResult(ctx, sqlcgen.SetIdempotencyResultParams{ID: id, Result: &result}))
}

func (s *Store) DeleteIdempotencyKey(ctx context.Context, id int64) error {
	return mapErr(s.w.DeleteIdempotencyKey(ctx, id))
}

func (s *Store) CreateWebhook(ctx context.Context, ownerID int64, w model.Webhook) (model.Webhook, error) {
	r, err := s.w.CreateWebhook(ctx, sqlcgen.CreateWebhookParams{ProjectID: w.ProjectID, OwnerID: ownerID, Url: w.URL,
		Events: strings.Join(w.Events, ","), Description: w.Description, Secret: w.Secret, CreatedAt: store.Now()})
	return webhookModel(r), mapErr(err)
}

func (s *Store) GetWebhook(ctx context.Context, ownerID, projectID, id int64) (model.Webhook, error) {
	r, err := s.r.GetWebhook(ctx, sqlcgen.GetWebhookParams{ID: id, ProjectID: projectID, OwnerID: ownerID})
	return webhookModel(r), mapErr(err)
}

func (s *Store) ListWebhooks(ctx context.Context, ownerID, projectID int64) ([]model.Webhook, error) {
	rows, err := s.r.ListWebhooks(ctx, sqlcgen.ListWebhooksParams{ProjectID: projectID, OwnerID: ownerID})
	return mapAll(rows, webhookModel), mapErr(err)
}

func (s *Store) UpdateWebhook(ctx context.Context, ownerID int64, w model.Webhook) (model.Webhook, error) {
	r, err := s.w.UpdateWebhook(ctx, sqlcgen.UpdateWebhookParams{ID: w.ID, ProjectID: w.ProjectID, OwnerID: ownerID, Url: w.URL,
		Events: strings.Join(w.Events, ","), Description: w.Description, Enabled: w.Enabled, DisabledReason: w.DisabledReason,
		FailingSince: w.FailingSince, UpdatedAt: store.Now()})
	return webhookModel(r), mapErr(err)
}

func (s *Store) SetWebhookSecret(ctx context.Context, ownerID, projectID, id int64, secret string) (model.Webhook, error) {
	r, err := s.w.SetWebhookSecret(ctx, sqlcgen.SetWebhookSecretParams{ID: id, ProjectID: projectID, OwnerID: ownerID, Secret: secret, UpdatedAt: store.Now()})
	return webhookModel(r), mapErr(err)
}

func (s *Store) DeleteWebhook(ctx context.Context, ownerID, projectID, id int64) error {
	return affected(s.w.DeleteWebhook(ctx, sqlcgen.DeleteWebhookParams{ID: id, ProjectID: projectID, OwnerID: ownerID}))
}

func (s *Store) EnabledWebhooks(ctx context.Context, projectID int64) ([]model.Webhook, error) {
	rows, err := s.r.ListEnabledWebhooks(ctx, projectID)
	return mapAll(rows, webhookModel), mapErr(err)
}

func (s *Store) CreateWebhookDelivery(ctx context.Context, d model.WebhookDelivery) (model.WebhookDelivery, error) {
	r, err := s.w.CreateWebhookDelivery(ctx, sqlcgen.CreateWebhookDeliveryParams{WebhookID: d.WebhookID, EventID: d.EventID,
		EventType: d.EventType, Payload: d.Payload, CreatedAt: store.Now()})
	return deliveryModel(r), mapErr(err)
}

func (s *Store) DeliveryWithWebhook(ctx context.Context, id int64) (model.WebhookDelivery, model.Webhook, error) {
	r, err := s.r.GetDeliveryWithWebhook(ctx, id)
	return deliveryModel(r.WebhookDelivery), webhookModel(r.Webhook), mapErr(err)
}

func (s *Store) RecordDeliveryAttempt(ctx context.Context, d model.WebhookDelivery) error {
	at := store.Now()
	if d.LastAttemptAt != nil {
		at = *d.LastAttemptAt
	}
	return mapErr(s.w.RecordDeliveryAttempt(ctx, sqlcgen.RecordDeliveryAttemptParams{ID: d.ID, Status: d.Status,
		ResponseStatus: d.ResponseStatus, LatencyMs: d.LatencyMS, Error: d.Error, AttemptedAt: &at}))
}

func (s *Store) ResetDelivery(ctx context.Context, webhookID, id int64) error {
	return affected(s.w.ResetDelivery(ctx, sqlcgen.ResetDeliveryParams{ID: id, WebhookID: webhookID}))
}

func (s *Store) ListDeliveries(ctx context.Context, ownerID, projectID, webhookID int64) ([]model.WebhookDelivery, error) {
	rows, err := s.r.ListDeliveries(ctx, sqlcgen.ListDeliveriesParams{WebhookID: webhookID, ProjectID: projectID, OwnerID: ownerID})
	return mapAll(rows, deliveryModel), mapErr(err)
}

func (s *Store) MarkWebhookFailing(ctx context.Context, id int64, t time.Time) error {
	return mapErr(s.w.MarkWebhookFailing(ctx, sqlcgen.MarkWebhookFailingParams{ID: id, At: &t}))
}

func (s *Store) MarkWebhookHealthy(ctx context.Context, id int64) error {
	return mapErr(s.w.MarkWebhookHealthy(ctx, id))
}

func (s *Store) DisableWebhook(ctx context.Context, id int64, reason string, t time.Time) error {
	return mapErr(s.w.DisableWebhook(ctx, sqlcgen.DisableWebhookParams{ID: id, Reason: reason, At: t}))
}

func webhookModel(r sqlcgen.Webhook) model.Webhook {
	var events []string
	if r.Events != "" {
		events = strings.Split(r.Events, ",")
	}
	return model.Webhook{ID: r.ID, ProjectID: r.ProjectID, URL: r.Url, Events: events, Description: r.Description, Secret: r.Secret,
		Enabled: r.Enabled, DisabledReason: r.DisabledReason, FailingSince: r.FailingSince, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func deliveryModel(r sqlcgen.WebhookDelivery) model.WebhookDelivery {
	return model.WebhookDelivery{ID: r.ID, WebhookID: r.WebhookID, EventID: r.EventID, EventType: r.EventType, Payload: r.Payload,
		Status: r.Status, Attempts: r.Attempts, ResponseStatus: r.ResponseStatus, LatencyMS: r.LatencyMs, Error: r.Error,
		CreatedAt: r.CreatedAt, LastAttemptAt: r.LastAttemptAt}
}

func (s *Store) RenewIdempotencyKey(ctx context.Context, id int64, at time.Time) error {
	return affected(s.w.RenewIdempotencyKey(ctx, sqlcgen.RenewIdempotencyKeyParams{ID: id, CreatedAt: at}))
}

func (s *Store) CreateEvalCase(ctx context.Context, ownerID int64, c model.EvalCase) (model.EvalCase, error) {
	r, err := s.w.CreateEvalCase(ctx, sqlcgen.CreateEvalCaseParams{ProjectID: c.ProjectID, OwnerID: ownerID, Input: c.Input,
		History: encodeJSON(store.NonNil(c.History)), Checks: encodeJSON(c.Checks), SourceMessageID: c.SourceMessageID, CreatedAt: store.Now()})
	return evalCaseModel(r), mapErr(err)
}

func (s *Store) GetEvalCase(ctx context.Context, ownerID, id int64) (model.EvalCase, error) {
	r, err := s.r.GetEvalCase(ctx, sqlcgen.GetEvalCaseParams{ID: id, OwnerID: ownerID})
	return evalCaseModel(r), mapErr(err)
}

func (s *Store) ListEvalCases(ctx context.Context, ownerID, projectID int64) ([]model.EvalCase, error) {
	rows, err := s.r.ListEvalCases(ctx, sqlcgen.ListEvalCasesParams{ProjectID: projectID, OwnerID: ownerID})
	return mapAll(rows, evalCaseModel), mapErr(err)
}

func (s *Store) UpdateEvalCase(ctx context.Context, ownerID int64, c model.EvalCase) (model.EvalCase, error) {
	r, err := s.w.UpdateEvalCase(ctx, sqlcgen.UpdateEvalCaseParams{ID: c.ID, OwnerID: ownerID, Input: c.Input,
		History: encodeJSON(store.NonNil(c.History)), Checks: encodeJSON(c.Checks), UpdatedAt: store.Now()})
	return evalCaseModel(r), mapErr(err)
}

func (s *Store) DeleteEvalCase(ctx context.Context, ownerID, id int64) error {
	return affected(s.w.DeleteEvalCase(ctx, sqlcgen.DeleteEvalCaseParams{ID: id, OwnerID: ownerID}))
}

// LockAndCountEvalCases holds the project's row until the transaction ends and counts its cases.
func (s *Store) LockAndCountEvalCases(ctx context.Context, ownerID, projectID int64) (int64, error) {
	if err := affected(s.w.LockProject(ctx, sqlcgen.LockProjectParams{ID: projectID, OwnerID: ownerID})); err != nil {
		return 0, err
	}
	n, err := s.w.CountEvalCases(ctx, projectID)
	return n, mapErr(err)
}

func (s *Store) GetMessageWithProject(ctx context.Context, ownerID, id int64) (model.Message, int64, error) {
	r, err := s.r.GetMessageWithProject(ctx, sqlcgen.GetMessageWithProjectParams{ID: id, OwnerID: ownerID})
	if err != nil {
		return model.Message{}, 0, mapErr(err)
	}
	return messageModel(sqlcgen.Message{ID: r.ID, ConversationID: r.ConversationID, Role: r.Role, Content: r.Content, Model: r.Model,
		InputTokens: r.InputTokens, OutputTokens: r.OutputTokens, LatencyMs: r.LatencyMs, Incomplete: r.Incomplete,
		Citations: r.Citations, CreatedAt: r.CreatedAt}), r.ProjectID, nil
}

func (s *Store) MessagesBefore(ctx context.Context, conversationID, beforeID int64, limit int) ([]model.Message, error) {
	rows, err := s.r.ListMessagesBefore(ctx, sqlcgen.ListMessagesBeforeParams{ConversationID: conversationID, BeforeID: beforeID, Lim: int64(limit)})
	out := mapAll(rows, messageModel)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, mapErr(err)
}

func (s *Store) CreateEvalRun(ctx context.Context, ownerID int64, r model.EvalRun, cases []model.EvalCase) (model.EvalRun, error) {
	var run sqlcgen.EvalRun
	err := s.InTx(ctx, func(st store.Store) (err error) {
		q := st.(*Store).w
		run, err = q.CreateEvalRun(ctx, sqlcgen.CreateEvalRunParams{ProjectID: r.ProjectID, OwnerID: ownerID, TargetRelease: r.TargetRelease,
			DraftDigest: r.DraftDigest, Total: int64(len(cases)), CreatedAt: store.Now()})
		if err != nil {
			return mapErr(err)
		}
		for _, c := range cases {
			if err := q.AddEvalResult(ctx, sqlcgen.AddEvalResultParams{RunID: run.ID, CaseID: c.ID, Input: c.Input,
				History: encodeJSON(store.NonNil(c.History)), Checks: encodeJSON(c.Checks)}); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
	return evalRunModel(run), err
}

func (s *Store) GetEvalRun(ctx context.Context, ownerID, id int64) (model.EvalRun, error) {
	r, err := s.r.GetEvalRun(ctx, sqlcgen.GetEvalRunParams{ID: id, OwnerID: ownerID})
	return evalRunModel(r), mapErr(err)
}

func (s *Store) ListEvalRuns(ctx context.Context, ownerID, projectID int64, limit int) ([]model.EvalRun, error) {
	rows, err := s.r.ListEvalRuns(ctx, sqlcgen.ListEvalRunsParams{ProjectID: projectID, OwnerID: ownerID, Lim: int64(limit)})
	return mapAll(rows, evalRunModel), mapErr(err)
}

func (s *Store) CountActiveEvalRuns(ctx context.Context, projectID int64) (int64, error) {
	n, err := s.w.CountActiveEvalRuns(ctx, projectID)
	return n, mapErr(err)
}

func (s *Store) LatestDraftEvalRun(ctx context.Context, ownerID, projectID int64) (model.EvalRun, error) {
	r, err := s.r.LatestCompletedDraftEvalRun(ctx, sqlcgen.LatestCompletedDraftEvalRunParams{ProjectID: projectID, OwnerID: ownerID})
	return evalRunModel(r), mapErr(err)
}

func (s *Store) StartEvalRun(ctx context.Context, id int64) error {
	return affected(s.w.StartEvalRun(ctx, sqlcgen.StartEvalRunParams{ID: id, StartedAt: store.NowPtr()}))
}

func (s *Store) FinishEvalRun(ctx context.Context, r model.EvalRun) error {
	return affected(s.w.FinishEvalRun(ctx, sqlcgen.FinishEvalRunParams{ID: r.ID, Status: r.Status, Passed: r.Passed, Failed: r.Failed,
		Error: r.Error, FinishedAt: store.NowPtr()}))
}

func (s *Store) ListEvalResults(ctx context.Context, runID int64) ([]model.EvalResult, error) {
	rows, err := s.r.ListEvalResults(ctx, runID)
	return mapAll(rows, evalResultModel), mapErr(err)
}

func (s *Store) RecordEvalResult(ctx context.Context, r model.EvalResult) error {
	return affected(s.w.RecordEvalResult(ctx, sqlcgen.RecordEvalResultParams{RunID: r.RunID, CaseID: r.CaseID, Status: r.Status,
		Reply: r.Reply, Error: r.Error, LatencyMs: r.LatencyMS, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
		Citations: encodeJSON(store.NonNil(r.Citations)), CheckResults: encodeJSON(store.NonNil(r.CheckResults))}))
}

// encodeJSON stores a value the platform made itself (it always encodes).
func encodeJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// decodeJSON reads a value stored by encodeJSON; a malformed value reads as the zero value.
func decodeJSON[T any](s string) T {
	var v T
	json.Unmarshal([]byte(s), &v)
	return v
}

func evalCaseModel(r sqlcgen.EvalCase) model.EvalCase {
	return model.EvalCase{ID: r.ID, ProjectID: r.ProjectID, Input: r.Input, History: store.NonNil(decodeJSON[[]model.EvalTurn](r.History)),
		Checks: decodeJSON[model.EvalChecks](r.Checks), SourceMessageID: r.SourceMessageID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func evalRunModel(r sqlcgen.EvalRun) model.EvalRun {
	return model.EvalRun{ID: r.ID, ProjectID: r.ProjectID, TargetRelease: r.TargetRelease, DraftDigest: r.DraftDigest, Status: r.Status,
		Total: r.Total, Passed: r.Passed, Failed: r.Failed, Error: r.Error, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
}

func evalResultModel(r sqlcgen.EvalResult) model.EvalResult {
	return model.EvalResult{RunID: r.RunID, CaseID: r.CaseID, Input: r.Input, History: store.NonNil(decodeJSON[[]model.EvalTurn](r.History)),
		Checks: decodeJSON[model.EvalChecks](r.Checks), Status: r.Status, Reply: r.Reply, Error: r.Error, LatencyMS: r.LatencyMs,
		InputTokens: r.InputTokens, OutputTokens: r.OutputTokens, Citations: store.DecodeCitations(r.Citations),
		CheckResults: store.NonNil(decodeJSON[[]model.EvalCheckResult](r.CheckResults))}
}

func (s *Store) NextReleaseNumber(ctx context.Context, projectID int64) (int64, error) {
	n, err := s.w.NextReleaseNumber(ctx, projectID)
	return n, mapErr(err)
}

func (s *Store) CreateRelease(ctx context.Context, ownerID int64, r model.Release) (model.Release, error) {
	snapshot, err := json.Marshal(r.Snapshot)
	if err != nil {
		return model.Release{}, fmt.Errorf("postgres: encode snapshot: %w", err)
	}
	row, err := s.w.CreateRelease(ctx, sqlcgen.CreateReleaseParams{
		ProjectID: r.ProjectID, OwnerID: ownerID, Number: r.Number, Note: r.Note, Snapshot: string(snapshot), CreatedAt: store.Now(),
	})
	if err != nil {
		return model.Release{}, mapErr(err)
	}
	return releaseModel(row)
}

func (s *Store) GetRelease(ctx context.Context, ownerID, projectID, number int64) (model.Release, error) {
	row, err := s.r.GetRelease(ctx, sqlcgen.GetReleaseParams{ProjectID: projectID, Number: number, OwnerID: ownerID})
	if err != nil {
		return model.Release{}, mapErr(err)
	}
	return releaseModel(row)
}

func (s *Store) ListReleases(ctx context.Context, ownerID, projectID int64) ([]model.Release, error) {
	rows, err := s.r.ListReleases(ctx, sqlcgen.ListReleasesParams{ProjectID: projectID, OwnerID: ownerID})
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]model.Release, len(rows))
	for i, row := range rows {
		if out[i], err = releaseModel(row); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) SetReleaseFiles(ctx context.Context, ownerID int64, r model.Release) error {
	snapshot, err := json.Marshal(r.Snapshot)
	if err != nil {
		return fmt.Errorf("postgres: encode snapshot: %w", err)
	}
	removed, err := json.Marshal(store.NonNil(r.RemovedFiles))
	if err != nil {
		return fmt.Errorf("postgres: encode removed files: %w", err)
	}
	return affected(s.w.SetReleaseFiles(ctx, sqlcgen.SetReleaseFilesParams{
		ID: r.ID, OwnerID: ownerID, Snapshot: string(snapshot), RemovedFiles: string(removed),
	}))
}

func (s *Store) SetPublishedRelease(ctx context.Context, ownerID, projectID int64, number *int64) error {
	return affected(s.w.SetPublishedRelease(ctx, sqlcgen.SetPublishedReleaseParams{ID: projectID, OwnerID: ownerID, PublishedRelease: number}))
}

// releaseModel decodes a release's JSON columns; a release that does not decode is an error, never
// an empty bot answering in its place.
func releaseModel(r sqlcgen.Release) (model.Release, error) {
	out := model.Release{ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Note: r.Note, CreatedAt: r.CreatedAt}
	if err := json.Unmarshal([]byte(r.Snapshot), &out.Snapshot); err != nil {
		return model.Release{}, fmt.Errorf("postgres: decode release %d snapshot: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.RemovedFiles), &out.RemovedFiles); err != nil {
		return model.Release{}, fmt.Errorf("postgres: decode release %d removed files: %w", r.ID, err)
	}
	out.Snapshot.Prompts, out.Snapshot.Files = store.NonNil(out.Snapshot.Prompts), store.NonNil(out.Snapshot.Files)
	out.RemovedFiles = store.NonNil(out.RemovedFiles)
	return out, nil
}

func (s *Store) GetMessage(ctx context.Context, ownerID, conversationID, id int64) (model.Message, error) {
	m, err := s.r.GetMessage(ctx, sqlcgen.GetMessageParams{ID: id, ConversationID: conversationID, OwnerID: ownerID})
	return messageModel(m), mapErr(err)
}

func (s *Store) GetFeedback(ctx context.Context, ownerID, messageID int64) (model.Feedback, error) {
	f, err := s.r.GetFeedback(ctx, sqlcgen.GetFeedbackParams{MessageID: messageID, OwnerID: ownerID})
	return feedbackModel(f), mapErr(err)
}

func (s *Store) PutFeedback(ctx context.Context, ownerID int64, f model.Feedback) (model.Feedback, error) {
	row, err := s.w.PutFeedback(ctx, sqlcgen.PutFeedbackParams{
		MessageID: f.MessageID, OwnerID: ownerID, Rating: f.Rating, Comment: f.Comment, Now: store.Now(),
	})
	return feedbackModel(row), mapErr(err)
}

func (s *Store) DeleteFeedback(ctx context.Context, ownerID, messageID int64) error {
	return mapErr(s.w.DeleteFeedback(ctx, sqlcgen.DeleteFeedbackParams{MessageID: messageID, OwnerID: ownerID}))
}

func (s *Store) ListFeedback(ctx context.Context, ownerID, projectID int64, rating *string, p store.Page) ([]model.RatedMessage, error) {
	before, beforeID := p.After.Time, p.After.ID
	if before.IsZero() {
		before, beforeID = store.EndOfTime, math.MaxInt64
	}
	rows, err := s.r.ListFeedback(ctx, sqlcgen.ListFeedbackParams{
		ProjectID: projectID, OwnerID: ownerID, Rating: rating, BeforeAt: before.UTC(), BeforeID: beforeID, Lim: int64(p.Limit),
	})
	return mapAll(rows, func(r sqlcgen.ListFeedbackRow) model.RatedMessage {
		return model.RatedMessage{
			Feedback:       model.Feedback{MessageID: r.MessageID, ProjectID: projectID, Rating: r.Rating, Comment: r.Comment, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt},
			ConversationID: r.ConversationID, EndUser: r.EndUser, Question: r.Question, Answer: r.Answer, AnsweredAt: r.AnsweredAt,
			Release: r.ReleaseNumber,
		}
	}), mapErr(err)
}

func (s *Store) ConversationFeedback(ctx context.Context, ownerID, conversationID, fromID, toID int64) ([]model.Feedback, error) {
	rows, err := s.r.ListConversationFeedback(ctx, sqlcgen.ListConversationFeedbackParams{
		ConversationID: conversationID, OwnerID: ownerID, FromID: fromID, ToID: toID,
	})
	return mapAll(rows, feedbackModel), mapErr(err)
}

func (s *Store) CountFeedback(ctx context.Context, ownerID, projectID int64, since, until time.Time) ([]model.FeedbackCount, error) {
	rows, err := s.r.CountFeedback(ctx, sqlcgen.CountFeedbackParams{ProjectID: projectID, OwnerID: ownerID, Since: since.UTC(), Until: until.UTC()})
	if err != nil {
		return nil, mapErr(err)
	}
	var out []model.FeedbackCount // rows come ordered by release: one count per release
	for _, r := range rows {
		if n := len(out); n == 0 || !samePtr(out[n-1].Release, r.ReleaseNumber) {
			out = append(out, model.FeedbackCount{Release: r.ReleaseNumber})
		}
		if c := &out[len(out)-1]; r.Rating == model.RatingUp {
			c.Up += r.N
		} else {
			c.Down += r.N
		}
	}
	return out, nil
}

func samePtr(a, b *int64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func feedbackModel(f sqlcgen.MessageFeedback) model.Feedback {
	return model.Feedback{MessageID: f.MessageID, ProjectID: f.ProjectID, Rating: f.Rating, Comment: f.Comment, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}
