package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// The dashboard's session travels in cookies (see the sessionCookie scheme of api/openapi.yaml): the
// access token where no script can read it, and the CSRF token the page sends back as a header.
const (
	sessionCookie = "session"
	csrfCookie    = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
)

var errCSRF = &model.ForbiddenError{Detail: "This request is authenticated by the session cookie, so it needs the X-CSRF-Token header " +
	"equal to the csrf_token cookie, from a page of this site"}

// cookieSession authenticates a request by the session cookie. Unsafe methods must also prove they
// come from our own page: the CSRF header matching its cookie and the session, and a same-origin
// Origin when the browser sends one.
func cookieSession(c echo.Context, next echo.HandlerFunc, users *auth.Service, token string) error {
	ctx := c.Request().Context()
	u, sess, err := users.Authenticate(ctx, token)
	if err != nil {
		return err
	}
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		var cookie string
		if ck, err := c.Cookie(csrfCookie); err == nil {
			cookie = ck.Value
		}
		if !users.CheckCSRF(sess.ID, c.Request().Header.Get(csrfHeader), cookie) || !sameOrigin(c) {
			return errCSRF
		}
	}
	signIn(c, u, sess.ID)
	return next(c)
}

// sameOrigin: no Origin header (some same-origin requests carry none), or one naming this host, as the
// browser addressed it: behind a reverse proxy that rewrites Host, the X-Forwarded-Host it sends.
func sameOrigin(c echo.Context) bool {
	origin := c.Request().Header.Get(echo.HeaderOrigin)
	if origin == "" {
		return true
	}
	host := c.Request().Host
	if fwd := c.Request().Header.Get("X-Forwarded-Host"); fwd != "" {
		host, _, _ = strings.Cut(fwd, ",")
		host = strings.TrimSpace(host)
	}
	o, err := url.Parse(origin)
	return err == nil && o.Host != "" && strings.EqualFold(o.Host, host)
}

// CreateSession implements apigen.StrictServerInterface (POST /users/session).
func (h *Handlers) CreateSession(ctx context.Context, req apigen.CreateSessionRequestObject) (apigen.CreateSessionResponseObject, error) {
	in, err := h.login(ctx, *req.Body)
	if err != nil {
		return nil, err
	}
	if in.MFARequired() { // no cookie until the second factor: POST /users/session/mfa
		var body apigen.CreateSession200JSONResponseBody
		if err := body.FromMfaChallenge(apigen.MfaChallenge{MfaRequired: true, MfaToken: in.MFAToken}); err != nil {
			return nil, err
		}
		return apigen.CreateSession200JSONResponse{Body: body}, nil
	}
	return sessionCookies{secure: auth.ClientFrom(ctx).HTTPS, signIn: in}, nil
}

// CreateSessionMfa implements apigen.StrictServerInterface (POST /users/session/mfa): the second step
// of the cookie sign-in, answered as POST /users/session answers a sign-in without two-factor.
func (h *Handlers) CreateSessionMfa(ctx context.Context, req apigen.CreateSessionMfaRequestObject) (apigen.CreateSessionMfaResponseObject, error) {
	in, err := h.completeMFA(ctx, *req.Body)
	if err != nil {
		return nil, err
	}
	return sessionCookies{secure: auth.ClientFrom(ctx).HTTPS, signIn: in}, nil
}

// DeleteSession implements apigen.StrictServerInterface (DELETE /users/session).
func (h *Handlers) DeleteSession(ctx context.Context, _ apigen.DeleteSessionRequestObject) (apigen.DeleteSessionResponseObject, error) {
	if err := h.auth.EndSession(ctx, auth.UserID(ctx), auth.SessionID(ctx)); err != nil {
		return nil, err
	}
	return sessionCookies{}, nil // clearing needs no Secure flag: a page over https may clear either kind
}

// sessionCookies sets the two cookies of a sign-in (and answers its user), or, without one, clears them.
type sessionCookies struct {
	secure bool
	signIn auth.SignIn
}

func (r sessionCookies) cookie(name, value string, httpOnly bool) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: httpOnly, Secure: r.secure, SameSite: http.SameSiteStrictMode}
	if value == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = r.signIn.Expires
		ck.MaxAge = int(time.Until(r.signIn.Expires).Seconds())
	}
	return ck
}

func (r sessionCookies) VisitCreateSessionResponse(w http.ResponseWriter) error {
	return r.setCookies(w)
}

func (r sessionCookies) VisitCreateSessionMfaResponse(w http.ResponseWriter) error {
	return r.setCookies(w)
}

func (r sessionCookies) setCookies(w http.ResponseWriter) error {
	http.SetCookie(w, r.cookie(sessionCookie, r.signIn.Token, true))
	http.SetCookie(w, r.cookie(csrfCookie, r.signIn.CSRF, false))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return json.NewEncoder(w).Encode(userToAPI(r.signIn.User))
}

func (r sessionCookies) VisitDeleteSessionResponse(w http.ResponseWriter) error {
	http.SetCookie(w, r.cookie(sessionCookie, "", true))
	http.SetCookie(w, r.cookie(csrfCookie, "", false))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
