package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// UploadFile implements apigen.StrictServerInterface.
func (h *Handlers) UploadFile(ctx context.Context, req apigen.UploadFileRequestObject) (apigen.UploadFileResponseObject, error) {
	user := auth.UserID(ctx)
	release, ok := h.uploads.Acquire(strconv.FormatInt(user, 10), h.limits.uploadsPerUser)
	if !ok {
		return nil, &model.LimitError{
			Detail:     fmt.Sprintf("Too many uploads at once: this account already has %d running (MAX_UPLOADS_PER_USER); try again when one ends", h.limits.uploadsPerUser),
			RetryAfter: time.Second,
		}
	}
	defer release()
	f, err := h.files.Upload(ctx, user, req.ProjectId, filePart(req.Body))
	if err != nil {
		return nil, err
	}
	return apigen.UploadFile201JSONResponse(fileToAPI(f)), nil
}

// ListFiles implements apigen.StrictServerInterface.
func (h *Handlers) ListFiles(ctx context.Context, req apigen.ListFilesRequestObject) (apigen.ListFilesResponseObject, error) {
	page, err := pageOf(req.Params.Limit, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	fs, err := h.files.List(ctx, auth.UserID(ctx), req.ProjectId, page)
	if err != nil {
		return nil, err
	}
	fs, next := nextCursor(page, fs, func(f model.File) store.Cursor { return store.Cursor{ID: f.ID} })
	link := nextLink(fmt.Sprintf("/projects/%d/files", req.ProjectId), nil, page, next)
	return apigen.ListFiles200JSONResponse{Body: mapSlice(fs, fileToAPI), Headers: apigen.ListFiles200ResponseHeaders{XNextCursor: next, Link: link}}, nil
}

// DeleteFile implements apigen.StrictServerInterface.
func (h *Handlers) DeleteFile(ctx context.Context, req apigen.DeleteFileRequestObject) (apigen.DeleteFileResponseObject, error) {
	if err := h.files.Delete(ctx, auth.UserID(ctx), req.FileId, deref(req.Params.Force)); err != nil {
		return nil, err
	}
	return apigen.DeleteFile204Response{}, nil
}

// filePart finds the part named "file" (skipping any other part before it) and gives its raw
// filename; the file service cleans the name and decides what the content is. The part must be a
// file part: its Content-Disposition has a filename (possibly empty), as browsers and clients send
// for files; a plain form value named "file" is refused. It runs only when the service calls it,
// after the project's ownership is checked.
func filePart(mr *multipart.Reader) file.Part {
	return func() (string, io.Reader, error) {
		for {
			p, err := mr.NextPart()
			switch {
			case errors.Is(err, io.EOF):
				return "", nil, model.Invalid("file", `is required: send the file as the multipart/form-data field "file"`)
			case err != nil:
				return "", nil, bodyError(err)
			case p.FormName() == "file":
				// The raw parameter: Part.FileName would drop only '/' directories, and only on some systems.
				_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
				name, ok := params["filename"]
				if !ok {
					return "", nil, model.Invalid("file", `must be a file part: its Content-Disposition needs a filename, e.g. form-data; name="file"; filename="notes.pdf"`)
				}
				return name, partReader{p}, nil
			}
		}
	}
}

// partReader reports the request size limit of validateRequest's http.MaxBytesReader as the file
// service's ErrTooLarge.
type partReader struct{ p *multipart.Part }

func (r partReader) Read(b []byte) (int, error) {
	n, err := r.p.Read(b)
	if err != nil {
		err = bodyError(err)
	}
	return n, err
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	var nerr net.Error
	switch {
	case errors.As(err, &mbe):
		return file.ErrTooLarge
	case errors.Is(err, io.EOF):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &nerr):
		return model.Invalid("file", "could not be read completely: the upload broke off")
	}
	return model.Invalid("body", "is not a valid multipart/form-data body")
}

func fileToAPI(f model.File) apigen.ProjectFile {
	out := apigen.ProjectFile{
		Id: f.ID, ProjectId: f.ProjectID, Filename: f.Filename, OpenaiFileId: f.OpenAIFileID, FileSize: f.Size,
		ContentType: f.ContentType, Status: apigen.ProjectFileStatus(f.Status), CreatedAt: f.CreatedAt,
	}
	if f.StatusDetail != "" {
		out.StatusDetail = &f.StatusDetail
	}
	return out
}
