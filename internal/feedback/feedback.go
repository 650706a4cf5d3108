// Package feedback keeps the ratings of a bot's answers: thumbs up or down with a comment, by the
// project's owner or by the end user who owns the conversation, listed per project and counted per
// release.
package feedback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// Service rates answers and lists the ratings.
type Service struct {
	store  store.Store
	events *webhook.Service // feedback.created; nil: none
	log    *slog.Logger
}

// NewService returns the feedback service; events (nil: none) receives feedback.created.
func NewService(s store.Store, events *webhook.Service, log *slog.Logger) *Service {
	return &Service{store: s, events: events, log: log}
}

// event is feedback.created's data.
type event struct {
	ConversationID int64  `json:"conversation_id"`
	MessageID      int64  `json:"message_id"`
	Rating         string `json:"rating"`
	Comment        string `json:"comment"`
	EndUser        string `json:"end_user"`
	// Release is the release that gave the answer (nil: the draft).
	Release *int64 `json:"release"`
}

// Rate stores v's rating of an answer, replacing an earlier one, and records feedback.created in the
// same transaction when the rating is new or changed. Errors: *model.NotFoundError (the conversation,
// not v's to rate, or the message), *model.ConflictError (not an answer), *model.ValidationError.
func (s *Service) Rate(ctx context.Context, v chat.Viewer, conversationID, messageID int64, rating, comment string) (model.Feedback, error) {
	if rating != model.RatingUp && rating != model.RatingDown {
		return model.Feedback{}, model.Invalid("rating", "must be up or down")
	}
	var out model.Feedback
	err := s.store.InTx(ctx, func(tx store.Store) error {
		c, m, err := answer(ctx, tx, v, conversationID, messageID)
		if err != nil {
			return err
		}
		old, err := tx.GetFeedback(ctx, v.OwnerID, messageID)
		switch {
		case err == nil && old.Rating == rating && old.Comment == comment:
			out = old // the same rating again: nothing changed, nothing to tell
			return nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		if out, err = tx.PutFeedback(ctx, v.OwnerID, model.Feedback{MessageID: messageID, Rating: rating, Comment: comment}); err != nil {
			return err
		}
		return s.events.Emit(ctx, tx, c.ProjectID, webhook.FeedbackCreated, event{
			ConversationID: c.ID, MessageID: messageID, Rating: rating, Comment: comment, EndUser: c.EndUser, Release: m.Release})
	})
	if err != nil {
		return model.Feedback{}, notFound(err, "message")
	}
	s.log.InfoContext(ctx, "answer rated", "project_id", out.ProjectID, "message_id", messageID, "rating", rating)
	return out, nil
}

// Clear removes the rating of an answer v may rate; an answer without one is no error. Errors as Rate's.
func (s *Service) Clear(ctx context.Context, v chat.Viewer, conversationID, messageID int64) error {
	if _, _, err := answer(ctx, s.store, v, conversationID, messageID); err != nil {
		return notFound(err, "message")
	}
	return s.store.DeleteFeedback(ctx, v.OwnerID, messageID)
}

// answer returns the conversation and the message v may rate: an assistant message of a
// conversation v owns.
func answer(ctx context.Context, st store.Store, v chat.Viewer, conversationID, messageID int64) (model.Conversation, model.Message, error) {
	c, err := st.GetConversation(ctx, v.OwnerID, conversationID)
	if err == nil && !v.Owns(c) {
		err = store.ErrNotFound // another key's or end user's conversation
	}
	if err != nil {
		return c, model.Message{}, notFound(err, "conversation")
	}
	m, err := st.GetMessage(ctx, v.OwnerID, conversationID, messageID)
	if err != nil {
		return c, m, notFound(err, "message")
	}
	if m.Role != model.RoleAssistant {
		return c, m, &model.ConflictError{Detail: fmt.Sprintf("message %d is the user's: only the assistant's answers can be rated", m.ID)}
	}
	return c, m, nil
}

// List returns one page of a project's rated answers, most recently rated first, only those rated
// rating when given. Returns store.ErrNotFound for a project that is not v's (or its key's).
func (s *Service) List(ctx context.Context, v chat.Viewer, projectID int64, rating *string, page store.Page) ([]model.RatedMessage, error) {
	if v.Key != nil && v.Key.ProjectID != projectID {
		return nil, store.ErrNotFound
	}
	if _, err := s.store.GetProject(ctx, v.OwnerID, projectID); err != nil {
		return nil, err
	}
	return s.store.ListFeedback(ctx, v.OwnerID, projectID, rating, page)
}

// Counts returns how many answers of each release were rated up and down, counting the ratings made
// or changed in [from, to). The caller has checked the project is the owner's.
func (s *Service) Counts(ctx context.Context, ownerID, projectID int64, from, to time.Time) ([]model.FeedbackCount, error) {
	return s.store.CountFeedback(ctx, ownerID, projectID, from, to)
}

func notFound(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &model.NotFoundError{What: what}
	}
	return err
}
