package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// Two-factor sign-in with an authenticator app: TOTP (RFC 6238) with the settings every app assumes,
// 30-second steps, 6 digits, HMAC-SHA1; a code of the step before or after is accepted too (clock
// skew), and no code of a step at or before the last accepted one.
const (
	TOTPIssuer        = "Chatbot Platform"
	TOTPCodeDigits    = 6
	totpPeriodSeconds = 30
	totpSkewSteps     = 1

	// RecoveryCodes is how many one-time recovery codes a set-up makes; each is RecoveryCodeChars
	// base32 characters (80 random bits), shown in groups of four joined by dashes.
	RecoveryCodes     = 10
	RecoveryCodeChars = 16
	recoveryCodeBytes = 10

	// MaxWrongCodes wrong codes (TOTP or recovery) per user in any WrongCodesWindow, then one more
	// each WrongCodesWindow; a right code does not count.
	MaxWrongCodes    = 5
	WrongCodesWindow = 15 * time.Minute
)

// CodeRate is the default limit of wrong codes per user (see LimitCodes).
var CodeRate = ratelimit.Rate{Burst: MaxWrongCodes, Interval: WrongCodesWindow}

// ErrBadCode: at sign-in, the code or recovery code is wrong or was used already (a 401, like a
// wrong password).
var ErrBadCode = errors.New("incorrect code: it is wrong, expired or already used")

var hotpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// LimitCodes limits wrong two-factor codes per user at rate r, through l (shared by every instance
// when it is Redis's): every check takes one try before it runs, so concurrent guesses cannot all
// pass, and a right code gives its try back.
func (s *Service) LimitCodes(l ratelimit.Limiter, r ratelimit.Rate) {
	s.codes, s.codesRate = l, r
}

// StartTOTP begins (or begins again) the user's set-up: a new secret, pending until ConfirmTOTP, and
// its otpauth:// URI for an authenticator app (its QR code). A *model.ConflictError when two-factor
// sign-in is already on.
func (s *Service) StartTOTP(ctx context.Context, userID int64) (secret, uri string, err error) {
	u, err := s.store.GetUserByID(ctx, userID)
	if err != nil {
		return "", "", err
	}
	if u.MFAEnabled {
		return "", "", errMFAOn
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Email, Period: totpPeriodSeconds,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", fmt.Errorf("totp: generate: %w", err)
	}
	if err := s.store.StartTOTP(ctx, userID, key.Secret()); errors.Is(err, store.ErrConflict) {
		return "", "", errMFAOn
	} else if err != nil {
		return "", "", err
	}
	s.log.InfoContext(ctx, "two-factor set-up started", "user_id", userID)
	return key.Secret(), key.URL(), nil
}

var (
	errMFAOn      = &model.ConflictError{Detail: "Two-factor sign-in is already on: turn it off first to set it up again"}
	errMFAOff     = &model.ConflictError{Detail: "Two-factor sign-in is not on"}
	errNotStarted = &model.ConflictError{Detail: "No two-factor set-up is pending: start one with POST /users/me/mfa/totp"}
)

// ConfirmTOTP turns two-factor sign-in on once code proves the authenticator app holds the pending
// secret, and returns the new recovery codes (only their hashes are kept). A wrong code is a
// *model.ValidationError of "code".
func (s *Service) ConfirmTOTP(ctx context.Context, userID int64, code string) ([]string, error) {
	if err := checkCode(code); err != nil {
		return nil, err
	}
	t, err := s.store.GetTOTP(ctx, userID)
	switch {
	case err != nil:
		return nil, err
	case t.Enabled:
		return nil, errMFAOn
	case t.Secret == "":
		return nil, errNotStarted
	}
	var step int64
	ok, err := s.tryCode(ctx, userID, func() (bool, error) {
		var ok bool
		step, ok = matchStep(t.Secret, code, s.tokens.now(), 0)
		return ok, nil
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		s.log.WarnContext(ctx, "two-factor set-up: wrong code", "user_id", userID)
		return nil, model.Invalid("code", "is not the current code of your authenticator app (check that its clock is right)")
	}
	codes, hashes := newRecoveryCodes()
	if err := s.store.EnableTOTP(ctx, userID, t.Secret, step, hashes); errors.Is(err, store.ErrConflict) {
		return nil, &model.ConflictError{Detail: "The two-factor set-up changed meanwhile (started again elsewhere): scan the new QR code"}
	} else if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "two-factor sign-in turned on", "user_id", userID)
	return codes, nil
}

// DisableTOTP turns two-factor sign-in off after the password and a code (or a recovery code) are
// proven; wrong ones are *model.ValidationError of their field.
func (s *Service) DisableTOTP(ctx context.Context, userID int64, password, code, recoveryCode string) error {
	if err := checkSecondFactor(code, recoveryCode); err != nil {
		return err
	}
	t, err := s.store.GetTOTP(ctx, userID)
	if err != nil {
		return err
	}
	if !t.Enabled {
		return errMFAOff
	}
	if err := s.CheckPassword(ctx, userID, "password", password); err != nil {
		return err
	}
	ok, err := s.proveSecondFactor(ctx, userID, code, recoveryCode)
	if err != nil {
		return err
	}
	if !ok {
		s.log.WarnContext(ctx, "two-factor turn-off: wrong code", "user_id", userID)
		if recoveryCode != "" {
			return model.Invalid("recovery_code", "is not one of your unused recovery codes")
		}
		return model.Invalid("code", "is not the current code of your authenticator app, or was used already")
	}
	if err := s.store.DisableTOTP(ctx, userID); errors.Is(err, store.ErrConflict) {
		return errMFAOff
	} else if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "two-factor sign-in turned off", "user_id", userID)
	return nil
}

// CompleteMFA finishes a sign-in Login left waiting for its second factor: mfaToken from Login, and
// a code from the authenticator app or an unused recovery code. It starts the session exactly as
// Login does for a user without two-factor sign-in. ErrInvalidMFAToken, ErrBadCode, or a
// *model.LimitError once the user's wrong codes are used up.
func (s *Service) CompleteMFA(ctx context.Context, mfaToken, code, recoveryCode string, from Client) (SignIn, error) {
	userID, err := s.tokens.VerifyMFA(mfaToken)
	if err != nil {
		return SignIn{}, err
	}
	if err := checkSecondFactor(code, recoveryCode); err != nil {
		return SignIn{}, err
	}
	u, err := s.store.GetUserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !u.MFAEnabled { // deleted, or turned off meanwhile
		return SignIn{}, ErrInvalidMFAToken
	}
	if err != nil {
		return SignIn{}, err
	}
	ok, err := s.proveSecondFactor(ctx, userID, code, recoveryCode)
	if err != nil {
		return SignIn{}, err
	}
	if !ok {
		s.log.WarnContext(ctx, "login failed", "reason", "wrong second factor", "user_id", userID)
		return SignIn{}, ErrBadCode
	}
	return s.startSession(ctx, u, from)
}

// proveSecondFactor checks a code (or, when given, a recovery code) of a user with two-factor sign-in
// on, and uses it up: the code's time step becomes the last accepted one, the recovery code is marked
// used. Both happen in one conditional write, so two instances cannot both accept the same code.
func (s *Service) proveSecondFactor(ctx context.Context, userID int64, code, recoveryCode string) (bool, error) {
	return s.tryCode(ctx, userID, func() (bool, error) {
		if recoveryCode != "" {
			return s.store.UseRecoveryCode(ctx, userID, hashRecoveryCode(normalizeRecoveryCode(recoveryCode)))
		}
		t, err := s.store.GetTOTP(ctx, userID)
		if err != nil || !t.Enabled {
			return false, err
		}
		step, ok := matchStep(t.Secret, code, s.tokens.now(), t.LastStep)
		if !ok {
			return false, nil
		}
		return s.store.UseTOTPStep(ctx, userID, step)
	})
}

// tryCode runs check under the user's limit of wrong codes: it takes a try first and gives it back
// unless the code was wrong. A *model.LimitError when the tries are used up.
func (s *Service) tryCode(ctx context.Context, userID int64, check func() (bool, error)) (bool, error) {
	if s.codes == nil {
		return check()
	}
	key := "mfa:" + strconv.FormatInt(userID, 10)
	ok, retry, err := s.codes.Take(ctx, key, s.codesRate)
	if err == nil && !ok {
		s.log.WarnContext(ctx, "two-factor codes refused: too many wrong ones", "user_id", userID)
		return false, &model.LimitError{RetryAfter: retry,
			Detail: fmt.Sprintf("Too many wrong two-factor codes for this account: try again in %d seconds", max(1, int((retry+time.Second-1)/time.Second)))}
	}
	// A limiter that fails never locks everyone out (as for every other limit): check anyway.
	right, cerr := check()
	if err == nil && (right || cerr != nil) {
		if rerr := s.codes.Refund(ctx, key, s.codesRate); rerr != nil {
			s.log.WarnContext(ctx, "two-factor code limit: refund failed", "user_id", userID, "error", rerr)
		}
	}
	return right, cerr
}

// matchStep finds the time step, later than after, whose code is code: the current step, or one
// step before or after it.
func matchStep(secret, code string, now time.Time, after int64) (int64, bool) {
	current := now.Unix() / totpPeriodSeconds
	for step := current - totpSkewSteps; step <= current+totpSkewSteps; step++ {
		if step <= after || step < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// checkCode checks a TOTP code's shape: exactly 6 digits.
func checkCode(code string) error {
	if len(code) != TOTPCodeDigits || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) {
		return model.Invalid("code", fmt.Sprintf("must be the %d digits your authenticator app shows", TOTPCodeDigits))
	}
	return nil
}

// checkSecondFactor checks that exactly one of code and recoveryCode is given, in its shape.
func checkSecondFactor(code, recoveryCode string) error {
	switch {
	case code != "" && recoveryCode != "":
		return model.Invalid("code", "give either code or recovery_code, not both")
	case recoveryCode != "":
		if n := normalizeRecoveryCode(recoveryCode); len(n) != RecoveryCodeChars || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			return model.Invalid("recovery_code", fmt.Sprintf("is not a recovery code: %d letters and digits, as shown (dashes optional)", RecoveryCodeChars))
		}
		return nil
	case code == "":
		return model.Invalid("code", "is required: the code of your authenticator app, or else give recovery_code")
	}
	return checkCode(code)
}

var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes makes RecoveryCodes random codes, as shown (xxxx-xxxx-xxxx-xxxx), and their hashes.
func newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodes {
		b := make([]byte, recoveryCodeBytes)
		rand.Read(b)
		c := recoveryEncoding.EncodeToString(b)
		codes = append(codes, c[0:4]+"-"+c[4:8]+"-"+c[8:12]+"-"+c[12:16])
		hashes = append(hashes, hashRecoveryCode(c))
	}
	return codes, hashes
}

// normalizeRecoveryCode lower-cases a typed recovery code and drops its dashes and spaces.
func normalizeRecoveryCode(c string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(c)))
}

// hashRecoveryCode is what is stored of a recovery code: 80 random bits need no slow hash.
func hashRecoveryCode(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}
