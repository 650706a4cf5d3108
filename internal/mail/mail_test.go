package mail_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/mail"
	"github.com/chatbot-platform/chatbot/internal/mail/mailtest"
)

func TestOutbox_SendsTextAndHTMLOverSMTPWithAuth(t *testing.T) {
	srv, err := mailtest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out, err := mail.New("smtp://mailer:s3cret@"+srv.Addr, "Chatbot <no-reply@example.com>", false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	link := "http://127.0.0.1:8000/reset-password#token=abc_DEF-123"
	long := strings.Repeat("a line longer than seventy-six characters must survive quoted-printable ", 2)
	out.Post(context.Background(), mail.Message{
		To: "ana@example.com", Subject: "Réinitialiser: your password",
		Text: "Hello,\n" + long + "\n" + link + "\n", HTML: `<p>Hello, <a href="` + link + `">reset</a></p>`,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := srv.Wait(ctx, "ana@example.com", "Réinitialiser")
	if err != nil {
		t.Fatal(err)
	}
	out.Close(time.Second)
	if m.From != "no-reply@example.com" || m.Auth != "mailer" {
		t.Errorf("from %q, auth %q", m.From, m.Auth)
	}
	if got := m.Link("/reset-password"); got != link {
		t.Errorf("link = %q, want %q", got, link)
	}
	if !strings.Contains(m.Text, long) || !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Errorf("bodies changed in transit:\ntext %q\nhtml %q", m.Text, m.HTML)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ url, from, want string }{
		{"smtp://u:p@mail.example.com:587", "a@example.com", ""},
		{"smtps://mail.example.com", "Chatbot <a@example.com>", ""},
		{"http://mail.example.com", "a@example.com", "scheme"},
		{"mail.example.com:25", "a@example.com", "smtp://"},
		{"smtp://mail.example.com", "", "MAIL_FROM is required"},
		{"smtp://mail.example.com", "not an address", "not an email address"},
	} {
		err := mail.ParseURL(tc.url, tc.from)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ParseURL(%q, %q) = %v, want %q", tc.url, tc.from, err, tc.want)
		}
	}
}

func TestNew_OffWithoutSMTPURLOrLogLinks(t *testing.T) {
	out, err := mail.New("", "", false, slog.Default())
	if out != nil || err != nil {
		t.Fatalf("New = %v, %v; want nil (email off)", out, err)
	}
}
