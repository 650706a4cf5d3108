package bundle

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/chatbot-platform/chatbot/internal/model"
)

// Template describes one bundle shipped in the binary; its bundle is templates/<Name>.json.
type Template struct {
	Name        string
	Title       string
	Description string
}

// templates are listed in the order the dashboard offers them.
var templates = []Template{
	{Name: "support-bot", Title: "Customer support bot",
		Description: "Answers customers' questions about accounts, orders and billing in a calm, helpful tone, asks when it is missing a detail, never invents policies, and hands off to a human when needed."},
	{Name: "faq-bot", Title: "FAQ bot over your files",
		Description: "Answers only from the documents you upload, cites the file each answer comes from, and says so when the documents do not cover a question. Upload your files after creating it."},
	{Name: "writing-assistant", Title: "Writing assistant",
		Description: "Drafts, rewrites, shortens and polishes emails, reports and posts in your voice, then lists what it changed."},
}

//go:embed templates/*.json
var templateFiles embed.FS

// Templates lists the shipped templates.
func Templates() []Template { return slices.Clone(templates) }

// LoadTemplate returns the bundle of the template called name, or a *model.NotFoundError.
func LoadTemplate(name string) (Bundle, error) {
	if !slices.ContainsFunc(templates, func(t Template) bool { return t.Name == name }) {
		return Bundle{}, &model.NotFoundError{What: fmt.Sprintf("template %q", name)}
	}
	data, err := templateFiles.ReadFile("templates/" + name + ".json")
	if err != nil {
		return Bundle{}, fmt.Errorf("template %s: %w", name, err)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return Bundle{}, fmt.Errorf("template %s: %w", name, err)
	}
	return b, nil
}
