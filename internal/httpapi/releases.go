package httpapi

import (
	"context"
	"fmt"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/release"
)

// CreateRelease implements apigen.StrictServerInterface.
func (h *Handlers) CreateRelease(ctx context.Context, req apigen.CreateReleaseRequestObject) (apigen.CreateReleaseResponseObject, error) {
	r, err := h.releases.Create(ctx, auth.UserID(ctx), req.ProjectId, deref(req.Body.Note), deref(req.Body.Force))
	if err != nil {
		return nil, err
	}
	return apigen.CreateRelease201JSONResponse(releaseToAPI(r, &r.Number)), nil
}

// ListReleases implements apigen.StrictServerInterface.
func (h *Handlers) ListReleases(ctx context.Context, req apigen.ListReleasesRequestObject) (apigen.ListReleasesResponseObject, error) {
	rs, p, err := h.releases.List(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	return apigen.ListReleases200JSONResponse(mapSlice(rs, func(r model.Release) apigen.ReleaseSummary {
		return apigen.ReleaseSummary{Number: r.Number, Note: r.Note, CreatedAt: r.CreatedAt, Published: isPublished(r, p.PublishedRelease)}
	})), nil
}

// GetRelease implements apigen.StrictServerInterface.
func (h *Handlers) GetRelease(ctx context.Context, req apigen.GetReleaseRequestObject) (apigen.GetReleaseResponseObject, error) {
	uid := auth.UserID(ctx)
	r, p, err := h.releases.Get(ctx, uid, req.ProjectId, req.Number)
	if err != nil {
		return nil, err
	}
	out := releaseToAPI(r, p.PublishedRelease)
	if to := req.Params.DiffTo; to != nil {
		other, _, err := h.releases.Get(ctx, uid, req.ProjectId, *to)
		if err != nil {
			return nil, model.Invalid("diff_to", fmt.Sprintf("project %d has no release %d", req.ProjectId, *to))
		}
		d := release.Compare(r.Snapshot, other.Snapshot, fmt.Sprintf("release %d", r.Number), fmt.Sprintf("release %d", other.Number))
		out.Diff = &apigen.ReleaseDiff{
			To: other.Number, SystemPrompt: d.SystemPrompt, FilesAdded: mapSlice(d.FilesAdded, snapshotFileToAPI),
			FilesRemoved: mapSlice(d.FilesRemoved, snapshotFileToAPI),
			Settings: mapSlice(d.Settings, func(c release.SettingChange) apigen.SettingChange {
				return apigen.SettingChange{Name: apigen.SettingChangeName(c.Name), From: c.From, To: c.To}
			}),
		}
	}
	return apigen.GetRelease200JSONResponse(out), nil
}

// PublishRelease implements apigen.StrictServerInterface.
func (h *Handlers) PublishRelease(ctx context.Context, req apigen.PublishReleaseRequestObject) (apigen.PublishReleaseResponseObject, error) {
	r, err := h.releases.Publish(ctx, auth.UserID(ctx), req.ProjectId, req.Number)
	if err != nil {
		return nil, err
	}
	return apigen.PublishRelease200JSONResponse(releaseToAPI(r, &r.Number)), nil
}

func isPublished(r model.Release, published *int64) bool {
	return published != nil && *published == r.Number
}

func releaseToAPI(r model.Release, published *int64) apigen.Release {
	s := r.Snapshot
	return apigen.Release{
		Number: r.Number, Note: r.Note, CreatedAt: r.CreatedAt, Published: isPublished(r, published),
		RemovedFiles: mapSlice(r.RemovedFiles, snapshotFileToAPI),
		Snapshot: apigen.ReleaseSnapshot{
			Prompts: mapSlice(s.Prompts, func(p model.SnapshotPrompt) apigen.SnapshotPrompt {
				return apigen.SnapshotPrompt{Name: p.Name, Content: p.Content}
			}),
			Model: s.Model, Temperature: s.Temperature, MaxOutputTokens: s.MaxOutputTokens,
			Files: mapSlice(s.Files, snapshotFileToAPI), SystemPrompt: release.SystemPrompt(s), Digest: s.Digest(),
		},
	}
}

func snapshotFileToAPI(f model.SnapshotFile) apigen.SnapshotFile {
	return apigen.SnapshotFile{Id: f.ID, Filename: f.Filename, OpenaiFileId: f.OpenAIFileID}
}
