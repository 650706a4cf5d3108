package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/bundle"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// ExportProject implements apigen.StrictServerInterface (GET /projects/{project_id}/export): the
// project as a bundle, or its conversations as a zip of Markdown files.
func (h *Handlers) ExportProject(ctx context.Context, req apigen.ExportProjectRequestObject) (apigen.ExportProjectResponseObject, error) {
	markdown := req.Params.Format != nil && *req.Params.Format == apigen.Markdown
	conversations := markdown || req.Params.Include != nil
	c, err := bundle.Read(ctx, h.store, auth.UserID(ctx), req.ProjectId, conversations)
	if err != nil {
		return nil, err
	}
	slug := bundle.Slug(c.Project.Name, fmt.Sprintf("project-%d", c.Project.ID))
	if markdown {
		var zip bytes.Buffer
		if err := bundle.MarkdownZip(&zip, c.Conversations); err != nil {
			return nil, err
		}
		name := fmt.Sprintf(`attachment; filename="%s-conversations.zip"`, slug)
		return apigen.ExportProject200ApplicationzipResponse{Body: &zip, ContentLength: int64(zip.Len()),
			Headers: apigen.ExportProject200ResponseHeaders{ContentDisposition: &name}}, nil
	}
	return bundleFile{bundle: bundle.FromContents(c, time.Now().UTC()), filename: slug + ".bundle.json"}, nil
}

// bundleFile answers a bundle in the bundle package's field order (version first, prompts before
// conversations), which reads better in a file than the generated type's alphabetical order.
type bundleFile struct {
	bundle   bundle.Bundle
	filename string
}

func (f bundleFile) VisitExportProjectResponse(w http.ResponseWriter) error {
	body, err := json.MarshalIndent(f.bundle, "", "  ")
	if err != nil {
		return fmt.Errorf("bundle: encode: %w", err)
	}
	w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	w.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, f.filename))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(append(body, '\n'))
	return err
}

// ImportProject implements apigen.StrictServerInterface (POST /projects/import): a new project from
// the bundle in the body, or from a shipped template.
func (h *Handlers) ImportProject(ctx context.Context, req apigen.ImportProjectRequestObject) (apigen.ImportProjectResponseObject, error) {
	var b bundle.Bundle
	if req.Body != nil && *req.Body == (apigen.Bundle{}) {
		req.Body = nil // an empty body binds as the zero bundle, which the document's required fields refuse otherwise
	}
	switch {
	case req.Params.Template != nil && req.Body != nil:
		return nil, model.Invalid("body", "must be empty with ?template= (send a bundle, or name a template, not both)")
	case req.Params.Template != nil:
		var err error
		if b, err = bundle.LoadTemplate(*req.Params.Template); err != nil {
			return nil, err
		}
	case req.Body == nil:
		return nil, model.Invalid("body", "is required: a bundle (GET /projects/{project_id}/export), or ?template=NAME")
	default:
		var err error
		if b, err = recode[bundle.Bundle](*req.Body); err != nil {
			return nil, err
		}
	}
	out, err := h.bundles.Import(ctx, auth.UserID(ctx), b)
	if err != nil {
		return nil, err
	}
	return apigen.ImportProject201JSONResponse{Project: projectToAPI(out.Project), MissingFiles: out.MissingFiles}, nil
}

// ListProjectTemplates implements apigen.StrictServerInterface (GET /project-templates).
func (h *Handlers) ListProjectTemplates(context.Context, apigen.ListProjectTemplatesRequestObject) (apigen.ListProjectTemplatesResponseObject, error) {
	return apigen.ListProjectTemplates200JSONResponse(mapSlice(bundle.Templates(), func(t bundle.Template) apigen.ProjectTemplate {
		return apigen.ProjectTemplate{Name: t.Name, Title: t.Title, Description: t.Description}
	})), nil
}

// recode converts the generated API type to the bundle package's own, which describe the same
// document (Bundle in api/openapi.yaml), through its JSON.
func recode[T any](v any) (T, error) {
	var out T
	data, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(data, &out)
	}
	if err != nil {
		return out, fmt.Errorf("bundle: recode: %w", err)
	}
	return out, nil
}
