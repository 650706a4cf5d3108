package httpapi

import (
	"context"
	"fmt"
	"net/url"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// RateMessage implements apigen.StrictServerInterface.
func (h *Handlers) RateMessage(ctx context.Context, req apigen.RateMessageRequestObject) (apigen.RateMessageResponseObject, error) {
	p := req.Params
	v, err := viewer(ctx, p.User, p.UserHash, p.XVisitorId)
	if err != nil {
		return nil, err
	}
	f, err := h.feedback.Rate(ctx, v, req.ConversationId, req.MessageId, string(req.Body.Rating), deref(req.Body.Comment))
	if err != nil {
		return nil, err
	}
	return apigen.RateMessage200JSONResponse(*feedbackToAPI(&f)), nil
}

// ClearMessageFeedback implements apigen.StrictServerInterface.
func (h *Handlers) ClearMessageFeedback(ctx context.Context, req apigen.ClearMessageFeedbackRequestObject) (apigen.ClearMessageFeedbackResponseObject, error) {
	p := req.Params
	v, err := viewer(ctx, p.User, p.UserHash, p.XVisitorId)
	if err != nil {
		return nil, err
	}
	if err := h.feedback.Clear(ctx, v, req.ConversationId, req.MessageId); err != nil {
		return nil, err
	}
	return apigen.ClearMessageFeedback204Response{}, nil
}

// ListFeedback implements apigen.StrictServerInterface.
func (h *Handlers) ListFeedback(ctx context.Context, req apigen.ListFeedbackRequestObject) (apigen.ListFeedbackResponseObject, error) {
	p := req.Params
	v := chat.Viewer{OwnerID: auth.UserID(ctx), Key: auth.KeyFrom(ctx)} // a read key: no end user to name
	page, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	var rating *string
	if p.Rating != nil {
		r := string(*p.Rating)
		rating = &r
	}
	rows, err := h.feedback.List(ctx, v, req.ProjectId, rating, page)
	if err != nil {
		return nil, err
	}
	rows, next := nextCursor(page, rows, func(r model.RatedMessage) store.Cursor { return store.Cursor{ID: r.MessageID, Time: r.UpdatedAt} })
	link := nextLink(fmt.Sprintf("/projects/%d/feedback", req.ProjectId), addQuery(url.Values{}, "rating", rating), page, next)
	return apigen.ListFeedback200JSONResponse{
		Body: mapSlice(rows, ratedMessageToAPI), Headers: apigen.ListFeedback200ResponseHeaders{XNextCursor: next, Link: link},
	}, nil
}

func feedbackToAPI(f *model.Feedback) *apigen.Feedback {
	if f == nil {
		return nil
	}
	return &apigen.Feedback{MessageId: f.MessageID, Rating: apigen.FeedbackRating(f.Rating), Comment: f.Comment, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func ratedMessageToAPI(r model.RatedMessage) apigen.RatedMessage {
	return apigen.RatedMessage{
		ConversationId: r.ConversationID, MessageId: r.MessageID, Question: r.Question, Answer: r.Answer,
		Rating: apigen.RatedMessageRating(r.Rating), Comment: r.Comment, Release: r.Release, EndUser: store.NullString(r.EndUser),
		AnsweredAt: r.AnsweredAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func feedbackCountToAPI(c model.FeedbackCount) apigen.FeedbackCount {
	return apigen.FeedbackCount{Release: c.Release, Up: c.Up, Down: c.Down}
}
