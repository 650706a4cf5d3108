package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/chatbot-platform/chatbot/internal/mail"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

var (
	// ErrMailOff: the server sends no email, so links cannot be mailed.
	ErrMailOff = errors.New("this server sends no email (SMTP_URL is not set): ask its operator")
	// ErrEmailVerified: the address is verified already.
	ErrEmailVerified = errors.New("your email address is verified already")
)

// How long mailed links work.
const (
	ResetLinkTTL  = 30 * time.Minute
	VerifyLinkTTL = 7 * 24 * time.Hour
)

// MailOptions turn on the account emails: an outbox (nil: email is off), where links point, and
// whether sign-in waits for a verified address.
type MailOptions struct {
	Outbox          *mail.Outbox
	PublicURL       string
	RequireVerified bool
}

// badLink is the one answer for a link that is unknown, used, expired or for another purpose.
var badLink = model.Invalid("token", "is invalid, used or expired: ask for a new link")

// RequestPasswordReset mails a reset link when email names an account. Everything after the address
// check happens in the background, so the answer (and its timing) is the same for every address.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	if s.mail.Outbox == nil {
		return ErrMailOff
	}
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return err
	}
	s.mail.Outbox.Go(ctx, func(ctx context.Context) {
		u, err := s.store.GetUserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			s.log.InfoContext(ctx, "password reset asked for an unknown address")
			return
		}
		if err == nil {
			err = s.mailLink(ctx, u, model.PurposeResetPassword)
		}
		if err != nil {
			s.log.ErrorContext(ctx, "password reset link not sent", "error", err)
		}
	})
	return nil
}

// ResetPassword sets a new password with a reset link's token, ends every session of its user and
// counts the address as verified (the link reached it). Nothing changes when the token is bad.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	if err := ValidatePassword(newPassword); err != nil {
		return renameField(err, "new_password")
	}
	hash, err := s.hasher.Hash(ctx, newPassword) // before the transaction: it takes a while
	if err != nil {
		return err
	}
	var userID int64
	err = s.store.InTx(ctx, func(tx store.Store) error {
		t, err := s.takeLink(ctx, tx, token, model.PurposeResetPassword)
		if err != nil {
			return err
		}
		userID = t.UserID
		if err := tx.SetPasswordHash(ctx, t.UserID, hash); err != nil {
			return err
		}
		if err := tx.DeleteSessions(ctx, t.UserID, 0); err != nil {
			return err
		}
		_, err = tx.SetEmailVerified(ctx, t.UserID, t.Email, s.tokens.now())
		return err
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "password reset by email link; every session ended", "user_id", userID)
	return nil
}

// SendVerification mails the user a link that verifies their address.
func (s *Service) SendVerification(ctx context.Context, u model.User) error {
	switch {
	case s.mail.Outbox == nil:
		return ErrMailOff
	case u.EmailVerifiedAt != nil:
		return ErrEmailVerified
	}
	return s.mailLink(ctx, u, model.PurposeVerifyEmail)
}

// mailVerificationLater mails u a verification link in the background (registration, a sign-in
// refused until the address is verified).
func (s *Service) mailVerificationLater(ctx context.Context, u model.User) {
	s.mail.Outbox.Go(ctx, func(ctx context.Context) {
		if err := s.mailLink(ctx, u, model.PurposeVerifyEmail); err != nil {
			s.log.ErrorContext(ctx, "verification link not sent", "user_id", u.ID, "error", err)
		}
	})
}

// VerifyEmail marks the address of a verification link's token verified.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	return s.store.InTx(ctx, func(tx store.Store) error {
		t, err := s.takeLink(ctx, tx, token, model.PurposeVerifyEmail)
		if err != nil {
			return err
		}
		if _, err := tx.SetEmailVerified(ctx, t.UserID, t.Email, s.tokens.now()); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "email verified", "user_id", t.UserID)
		return nil
	})
}

// takeLink uses up the link whose token this is, if it is live and of this purpose.
func (s *Service) takeLink(ctx context.Context, tx store.Store, token, purpose string) (model.EmailToken, error) {
	t, err := tx.TakeEmailToken(ctx, hashLink(token), purpose)
	if errors.Is(err, store.ErrNotFound) {
		return t, badLink
	}
	if err != nil {
		return t, err
	}
	if !s.tokens.now().Before(t.ExpiresAt) {
		return t, badLink
	}
	return t, nil
}

// mailLink stores a new link of purpose for u (replacing the earlier one) and mails it.
func (s *Service) mailLink(ctx context.Context, u model.User, purpose string) error {
	secret := make([]byte, 32)
	rand.Read(secret)
	token := base64.RawURLEncoding.EncodeToString(secret)
	ttl, page := VerifyLinkTTL, "verify-email"
	if purpose == model.PurposeResetPassword {
		ttl, page = ResetLinkTTL, "reset-password"
	}
	err := s.store.PutEmailToken(ctx, model.EmailToken{Hash: hashLink(token), UserID: u.ID, Purpose: purpose,
		Email: u.Email, ExpiresAt: s.tokens.now().Add(ttl)})
	if err != nil {
		return fmt.Errorf("store %s link: %w", purpose, err)
	}
	// The token travels in the fragment: browsers never send it to a server, so it stays out of
	// access logs and Referer headers.
	link := s.mail.PublicURL + "/" + page + "#token=" + token
	s.mail.Outbox.Post(ctx, composeLink(u.Email, purpose, link, ttl))
	return nil
}

func hashLink(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// renameField reports a validation error of the password policy under another field's name.
func renameField(err error, field string) error {
	var verr *model.ValidationError
	if errors.As(err, &verr) && len(verr.Fields) == 1 {
		return model.Invalid(field, verr.Fields[0].Message)
	}
	return err
}

// linkHTML is the HTML body of a link email. It is filled with html.EscapeString rather than
// html/template: linking any template package makes the linker keep every exported method of every type
// (reflection may call them), which cost 14 MB of binary and 9 MB of idle memory here.
const linkHTML = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2328">
<p>Hello,</p>
<p>{intro}</p>
<p><a href="{link}" style="display: inline-block; padding: 8px 16px; background: #2557d6; color: #ffffff; border-radius: 6px; text-decoration: none">{action}</a></p>
<p>Or open this address: <br><a href="{link}">{link}</a></p>
<p>The link works once, for {valid}. {ignore}</p>
</body></html>
`

// composeLink writes the email that carries a link, as text and HTML.
func composeLink(to, purpose, link string, ttl time.Duration) mail.Message {
	v := struct{ Intro, Action, Link, Valid, Ignore string }{Link: link, Valid: validFor(ttl)}
	subject := ""
	switch purpose {
	case model.PurposeResetPassword:
		subject = "Reset your Chatbot Platform password"
		v.Intro = "Someone (we hope you) asked to reset the password of your Chatbot Platform account " + to + "."
		v.Action = "Choose a new password"
		v.Ignore = "If you did not ask, ignore this email: your password stays as it is."
	default:
		subject = "Verify your email address for Chatbot Platform"
		v.Intro = "Please confirm that " + to + " is your address for your Chatbot Platform account."
		v.Action = "Verify my address"
		v.Ignore = "If you did not sign up, ignore this email."
	}
	body := strings.NewReplacer("{intro}", html.EscapeString(v.Intro), "{link}", html.EscapeString(v.Link),
		"{action}", html.EscapeString(v.Action), "{valid}", html.EscapeString(v.Valid), "{ignore}", html.EscapeString(v.Ignore)).Replace(linkHTML)
	text := "Hello,\n\n" + v.Intro + "\n\n" + v.Action + ":\n" + link + "\n\nThe link works once, for " + v.Valid + ". " + v.Ignore + "\n"
	return mail.Message{To: to, Subject: subject, Text: text, HTML: body, Link: link}
}

func validFor(d time.Duration) string {
	if d >= 24*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}
