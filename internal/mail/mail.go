// Package mail sends the platform's email (verification and password-reset links): over SMTP
// (SMTP_URL), or, for development (MAIL_LOG_LINKS), into the log. Messages leave in the background so
// that no request waits for, or reveals anything by, a mail server's speed.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Message is one email: a plain-text body and the same as HTML.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Link is the message's one link, for MAIL_LOG_LINKS.
	Link string
}

// sender delivers one message.
type sender interface {
	send(ctx context.Context, m Message) error
}

// sendTimeout bounds one delivery: connecting, the SMTP dialogue and the message.
const sendTimeout = 30 * time.Second

// Outbox sends messages in the background. The zero of *Outbox (nil) is "email is off".
type Outbox struct {
	sender sender
	log    *slog.Logger
	wg     sync.WaitGroup
}

// New returns the outbox SMTP_URL (and MAIL_FROM) or MAIL_LOG_LINKS ask for, or nil when both are
// unset: email is off.
func New(smtpURL, from string, logLinks bool, log *slog.Logger) (*Outbox, error) {
	switch {
	case smtpURL != "":
		s, err := newSMTP(smtpURL, from)
		if err != nil {
			return nil, err
		}
		return &Outbox{sender: s, log: log}, nil
	case logLinks:
		return &Outbox{sender: logSender{log: log}, log: log}, nil
	}
	return nil, nil
}

// Post sends m in the background; a failure is logged (the person can ask for another link).
func (o *Outbox) Post(ctx context.Context, m Message) {
	o.Go(ctx, func(ctx context.Context) {
		if err := o.sender.send(ctx, m); err != nil {
			o.log.ErrorContext(ctx, "email not sent", "subject", m.Subject, "error", err)
			return
		}
		o.log.InfoContext(ctx, "email sent", "subject", m.Subject)
	})
}

// Go runs fn in the background within sendTimeout, counted with the messages Close waits for: the
// work that decides whether to send at all (looking up an address) happens off the request too.
func (o *Outbox) Go(ctx context.Context, fn func(ctx context.Context)) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		defer cancel()
		fn(ctx)
	}()
}

// Close waits up to d for messages still being sent.
func (o *Outbox) Close(d time.Duration) {
	if o == nil {
		return
	}
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		o.log.Warn("emails still being sent at shutdown were abandoned")
	}
}

// logSender writes the message's link into the log instead of sending it (MAIL_LOG_LINKS, for
// development only: whoever reads the log can follow the links).
type logSender struct{ log *slog.Logger }

func (l logSender) send(ctx context.Context, m Message) error {
	l.log.WarnContext(ctx, "MAIL_LOG_LINKS: email not sent; its link", "to", m.To, "subject", m.Subject, "link", m.Link)
	return nil
}

// smtpSender delivers through one SMTP server: smtps:// speaks TLS from the start (port 465),
// smtp:// upgrades with STARTTLS (port 587), which only a loopback server may lack.
type smtpSender struct {
	addr     string // host:port
	host     string
	implicit bool // TLS from the start
	auth     smtp.Auth
	from     *mail.Address
}

// ParseURL checks an SMTP_URL and MAIL_FROM pair; the error says what is wrong.
func ParseURL(raw, from string) error {
	_, err := newSMTP(raw, from)
	return err
}

func newSMTP(raw, from string) (*smtpSender, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("SMTP_URL must look like smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS)")
	}
	s := &smtpSender{host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicit = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("SMTP_URL scheme %q: use smtp:// (STARTTLS) or smtps:// (TLS)", u.Scheme)
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		pass, _ := u.User.Password()
		// net/smtp's PLAIN refuses to send the password unencrypted, except to localhost.
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, s.host)
	}
	if from == "" {
		return nil, errors.New("MAIL_FROM is required with SMTP_URL, e.g. Chatbot <no-reply@example.com>")
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q is not an email address: %v", from, err)
	}
	return s, nil
}

func (s *smtpSender) send(ctx context.Context, m Message) error {
	body, err := s.compose(m)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	tlsConfig := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if s.implicit {
		conn = tls.Client(conn, tlsConfig)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("smtp: STARTTLS: %w", err)
			}
		} else if !loopback(s.host) {
			return fmt.Errorf("smtp: %s does not offer STARTTLS: refusing to send in clear", s.addr)
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	return c.Quit()
}

// compose writes m as a multipart/alternative message: text first, HTML preferred by readers that can.
func (s *smtpSender) compose(m Message) ([]byte, error) {
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, errors.New("mail: bad recipient")
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	id := make([]byte, 16)
	rand.Read(id)
	h := []string{
		"From: " + s.from.String(),
		"To: " + m.To,
		"Subject: " + mime.QEncoding.Encode("utf-8", m.Subject),
		"Date: " + time.Now().UTC().Format(time.RFC1123Z),
		"Message-ID: <" + hex.EncodeToString(id) + "@" + domainOf(s.from.Address) + ">",
		"MIME-Version: 1.0",
		"Auto-Submitted: auto-generated",
		`Content-Type: multipart/alternative; boundary="` + mw.Boundary() + `"`,
	}
	b.WriteString(strings.Join(h, "\r\n") + "\r\n\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(pw)
		qw.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n")))
		qw.Close()
	}
	mw.Close()
	return b.Bytes(), nil
}

func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
