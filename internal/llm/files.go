package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"sync/atomic"

	openai "github.com/sashabaranov/go-openai"

	"github.com/chatbot-platform/chatbot/internal/panics"
)

// File is an uploaded file.
type File struct {
	ID    string // OpenAI's file id
	Bytes int64  // size OpenAI recorded
}

// UploadFile uploads body as a file for file_search (purpose "assistants").
// The multipart request is streamed from body, so memory stays bounded
// whatever the size; for the same reason it is never retried. It is bounded
// by ctx, not by Config.Timeout.
func (c *Client) UploadFile(ctx context.Context, filename string, body io.Reader) (File, error) {
	if err := c.notConfigured(); err != nil {
		return File{}, err
	}
	var f File
	var recovered atomic.Pointer[panics.Error] // a panic of the pipe's writer fails the upload as itself
	err := c.run(ctx, op{name: "files.upload", retry: retryNever}, func(ctx context.Context, _ *tryInfo) error {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Write the form into the pipe while the transport reads it. A
			// failed request closes pr, which makes these writes fail. A
			// panic here (outside any request's recover) fails this upload only.
			var err error
			defer func() { pw.CloseWithError(err) }() // nil: EOF for the reader
			defer func() {
				var perr *panics.Error
				if errors.As(err, &perr) {
					recovered.Store(perr)
				}
			}()
			defer panics.Recover(&err) // runs first
			panics.Hook(panics.PointUploadPipe)
			err = mw.WriteField("purpose", string(openai.PurposeAssistants))
			if err == nil {
				var part io.Writer
				if part, err = mw.CreateFormFile("file", filename); err == nil {
					if _, err = io.Copy(part, body); err == nil {
						err = mw.Close()
					}
				}
			}
		}()
		defer func() {
			_ = pr.Close() // unblocks the writer if the request ended early
			<-done         // and body is not read after we return
		}()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/files", pr)
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		var out struct {
			ID    string `json:"id"`
			Bytes int64  `json:"bytes"`
		}
		if err := c.doRaw(req, &out); err != nil {
			return err
		}
		f = File{ID: out.ID, Bytes: out.Bytes}
		return nil
	})
	if perr := recovered.Load(); perr != nil {
		return File{}, perr
	}
	return f, err
}

// doRaw sends a request that go-openai cannot make (a streamed upload, a
// field it does not decode) with the same key, HTTP client and error shapes
// as go-openai, so errors are classified the same way.
func (c *Client) doRaw(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	resp, err := c.doer.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return fmt.Errorf("reading error body: %w", err)
		}
		var er openai.ErrorResponse
		if err := json.Unmarshal(body, &er); err != nil || er.Error == nil {
			return &openai.RequestError{HTTPStatus: resp.Status, HTTPStatusCode: resp.StatusCode, Err: err, Body: body}
		}
		er.Error.HTTPStatus, er.Error.HTTPStatusCode = resp.Status, resp.StatusCode
		return er.Error
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// short runs a small idempotent-or-refused call under Config.Timeout per try.
func (c *Client) short(ctx context.Context, o op, f func(ctx context.Context) error) error {
	if err := c.notConfigured(); err != nil {
		return err
	}
	return c.run(ctx, o, func(ctx context.Context, info *tryInfo) error {
		ctx, stop := withTimeout(ctx, info, c.cfg.Timeout)
		defer stop()
		return f(ctx)
	})
}

// DeleteFile deletes an uploaded file. A file OpenAI no longer has gives
// ErrNotFound.
func (c *Client) DeleteFile(ctx context.Context, fileID string) error {
	return c.short(ctx, op{name: "files.delete", notFound: true}, func(ctx context.Context) error {
		return c.oa.DeleteFile(ctx, fileID)
	})
}

// CreateVectorStore creates a vector store and returns its id. Only a 429 is
// retried: after a timeout or a 5xx the store may exist already.
func (c *Client) CreateVectorStore(ctx context.Context, name string) (string, error) {
	var id string
	err := c.short(ctx, op{name: "vector_stores.create", retry: retryRateLimit}, func(ctx context.Context) error {
		vs, err := c.oa.CreateVectorStore(ctx, openai.VectorStoreRequest{Name: name})
		id = vs.ID
		return err
	})
	return id, err
}

// DeleteVectorStore deletes a vector store (ErrNotFound if already gone).
func (c *Client) DeleteVectorStore(ctx context.Context, vsID string) error {
	return c.short(ctx, op{name: "vector_stores.delete", notFound: true}, func(ctx context.Context) error {
		_, err := c.oa.DeleteVectorStore(ctx, vsID)
		return err
	})
}

// AttachFile adds an uploaded file to a vector store and returns its
// indexing status (usually "in_progress"). Attaching twice is harmless, so
// it is retried. An unknown store or file gives ErrNotFound.
func (c *Client) AttachFile(ctx context.Context, vsID, fileID string) (string, error) {
	var status string
	err := c.short(ctx, op{name: "vector_stores.attach", notFound: true}, func(ctx context.Context) error {
		vf, err := c.oa.CreateVectorStoreFile(ctx, vsID, openai.VectorStoreFileRequest{FileID: fileID})
		status = vf.Status
		return err
	})
	return status, err
}

// DetachFile removes a file from a vector store (ErrNotFound if it is not
// there).
func (c *Client) DetachFile(ctx context.Context, vsID, fileID string) error {
	return c.short(ctx, op{name: "vector_stores.detach", notFound: true}, func(ctx context.Context) error {
		return c.oa.DeleteVectorStoreFile(ctx, vsID, fileID)
	})
}

// VectorStoreFileStatus returns a file's indexing status in a store
// ("in_progress", "completed", "failed", "cancelled") and, when failed,
// OpenAI's reason (safe to show: it describes the file, e.g. "The file type
// is not supported."). It reads the API directly: go-openai's type has no
// last_error.
func (c *Client) VectorStoreFileStatus(ctx context.Context, vsID, fileID string) (status, lastError string, err error) {
	err = c.short(ctx, op{name: "vector_stores.file_status", notFound: true}, func(ctx context.Context) error {
		u := c.cfg.BaseURL + "/vector_stores/" + url.PathEscape(vsID) + "/files/" + url.PathEscape(fileID)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("OpenAI-Beta", "assistants=v2")
		var out struct {
			Status    string `json:"status"`
			LastError *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"last_error"`
		}
		if err := c.doRaw(req, &out); err != nil {
			return err
		}
		status, lastError = out.Status, ""
		if out.LastError != nil {
			lastError = out.LastError.Message
			if lastError == "" {
				lastError = out.LastError.Code
			}
		}
		return nil
	})
	return status, lastError, err
}
