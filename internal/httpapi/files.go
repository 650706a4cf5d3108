package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
)

// UploadFile implements apigen.StrictServerInterface.
func (h *Handlers) UploadFile(context.Context, apigen.UploadFileRequestObject) (apigen.UploadFileResponseObject, error) {
	return nil, errNotYet
}

// ListFiles implements apigen.StrictServerInterface.
func (h *Handlers) ListFiles(context.Context, apigen.ListFilesRequestObject) (apigen.ListFilesResponseObject, error) {
	return nil, errNotYet
}

// DeleteFile implements apigen.StrictServerInterface.
func (h *Handlers) DeleteFile(context.Context, apigen.DeleteFileRequestObject) (apigen.DeleteFileResponseObject, error) {
	return nil, errNotYet
}
