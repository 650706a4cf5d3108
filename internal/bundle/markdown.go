package bundle

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
)

// MarkdownZip writes a zip holding one Markdown file per conversation, conversations/<id>-<title>.md.
func MarkdownZip(w io.Writer, threads []Thread) error {
	z := zip.NewWriter(w)
	for _, t := range threads {
		c := t.Conversation
		f, err := z.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("conversations/%d-%s.md", c.ID, Slug(c.Title, "conversation")),
			Method: zip.Deflate, Modified: c.UpdatedAt})
		if err != nil {
			return fmt.Errorf("markdown zip: %w", err)
		}
		if _, err := io.WriteString(f, Markdown(t)); err != nil {
			return fmt.Errorf("markdown zip: %w", err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("markdown zip: %w", err)
	}
	return nil
}

// Markdown renders one conversation: its title and dates, then each message with its role, time,
// model, the release that answered (when one did) and citations.
func Markdown(t Thread) string {
	var b bytes.Buffer
	c := t.Conversation
	fmt.Fprintf(&b, "# %s\n\n", oneLine(c.Title))
	fmt.Fprintf(&b, "- Started: %s\n- Last message: %s\n", stamp(c.CreatedAt), stamp(c.UpdatedAt))
	if c.KeyID != nil {
		fmt.Fprintf(&b, "- Through key: %s", oneLine(c.KeyName))
		if c.EndUser != "" {
			fmt.Fprintf(&b, " (end user %s)", oneLine(c.EndUser))
		}
		b.WriteString("\n")
	}
	for _, m := range t.Messages {
		role := "User"
		if m.Role == model.RoleAssistant {
			role = "Assistant"
		}
		fmt.Fprintf(&b, "\n## %s · %s", role, stamp(m.CreatedAt))
		if m.Model != nil {
			fmt.Fprintf(&b, " · %s", oneLine(*m.Model))
		}
		if m.Release != nil {
			fmt.Fprintf(&b, " · release %d", *m.Release)
		}
		b.WriteString("\n\n")
		b.WriteString(strings.TrimRight(m.Content, "\n"))
		b.WriteString("\n")
		if m.Incomplete {
			b.WriteString("\n*(interrupted before it finished)*\n")
		}
		if len(m.Citations) > 0 {
			b.WriteString("\nSources:\n")
			for _, ct := range m.Citations {
				fmt.Fprintf(&b, "- %s", oneLine(ct.Filename))
				if ct.Quote != "" {
					fmt.Fprintf(&b, ": “%s”", oneLine(ct.Quote))
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// oneLine keeps a value that goes into a heading or a list item on its one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// Slug makes a file-name-safe form of a name (lower-case ASCII letters, digits and dashes, at most 40),
// or fallback when nothing is left.
func Slug(name, fallback string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		return fallback
	}
	return s
}
