package fakeopenai

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"time"
)

// File is an uploaded file as the fake stored it.
type File struct {
	ID, Filename, Purpose string
	Bytes                 int64  // size received
	SHA256                string // hex digest of all bytes received
	Content               []byte // the bytes, or only the first WithContentLimit bytes
	Truncated             bool   // Content is only a prefix
	CreatedAt             time.Time
}

type vectorStore struct {
	id, name string
	created  time.Time
	files    []*vsFile // in attach order
}

type vsFile struct {
	fileID   string
	attached time.Time
	fail     *indexFailure
}

type indexFailure struct{ code, message string }

// FailIndexing makes files named filename that are attached from now on end
// in status failed with last_error {code, message} (e.g. "unsupported_file").
func (s *Server) FailIndexing(filename, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failIdx[filename] = indexFailure{code, message}
}

// File returns a stored file.
func (s *Server) File(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		return File{}, false
	}
	return *f, true
}

// Files returns every stored (not deleted) file.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.files))
	for _, f := range s.files {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b File) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// VectorStores maps each existing vector store id to its attached file ids.
func (s *Server) VectorStores() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for id, vs := range s.stores {
		ids := []string{}
		for _, f := range vs.files {
			ids = append(ids, f.fileID)
		}
		out[id] = ids
	}
	return out
}

// status is the indexing status now; the caller holds s.mu.
func (s *Server) status(f *vsFile) string {
	switch {
	case time.Since(f.attached) < s.indexingDelay:
		return "in_progress"
	case f.fail != nil:
		return "failed"
	default:
		return "completed"
	}
}

// prefixHasher counts, hashes and keeps the first limit bytes of what it is
// given, so a huge upload costs only limit bytes of memory.
type prefixHasher struct {
	limit  int64
	n      int64
	prefix []byte
	h      interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (p *prefixHasher) Write(b []byte) (int, error) {
	if room := p.limit - int64(len(p.prefix)); room > 0 {
		p.prefix = append(p.prefix, b[:min(int64(len(b)), room)]...)
	}
	p.n += int64(len(b))
	return p.h.Write(b)
}

func (s *Server) handleCreateFile(w http.ResponseWriter, r *http.Request) {
	rec := recOf(r)
	if _, ok := s.begin(w, r, rec); !ok {
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "",
			"Invalid request: expected multipart/form-data.")
		return
	}
	var purpose, filename string
	var got *prefixHasher
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.markGone(rec)
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "", "Invalid multipart body.")
			return
		}
		switch part.FormName() {
		case "purpose":
			b, _ := io.ReadAll(io.LimitReader(part, 1024))
			purpose = string(b)
		case "file":
			// The raw parameter: Part.FileName() would strip directories.
			_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
			filename = params["filename"]
			got = &prefixHasher{limit: s.contentLimit, h: sha256.New()}
			if _, err := io.Copy(got, part); err != nil {
				s.markGone(rec)
				writeError(w, http.StatusBadRequest, "invalid_request_error", "", "", "Invalid multipart body.")
				return
			}
		}
		_ = part.Close()
	}
	switch {
	case got == nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "file", "Missing required parameter: 'file'.")
		return
	case purpose == "":
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "purpose", "Missing required parameter: 'purpose'.")
		return
	}
	f := &File{
		ID: newID("file-", 22), Filename: filename, Purpose: purpose, Bytes: got.n,
		SHA256: hex.EncodeToString(got.h.Sum(nil)), Content: got.prefix,
		Truncated: got.n > int64(len(got.prefix)), CreatedAt: time.Now(),
	}
	s.mu.Lock()
	s.files[f.ID] = f
	snapshot := *f
	rec.Upload = &snapshot
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, fileObject(f))
}

func fileObject(f *File) map[string]any {
	return map[string]any{
		"object": "file", "id": f.ID, "purpose": f.Purpose, "filename": f.Filename, "bytes": f.Bytes,
		"created_at": f.CreatedAt.Unix(), "expires_at": nil, "status": "processed", "status_details": nil,
	}
}

func (s *Server) handleGetFile(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	f, ok := s.File(r.PathValue("file_id"))
	if !ok {
		noSuchFile(w, r.PathValue("file_id"))
		return
	}
	writeJSON(w, http.StatusOK, fileObject(&f))
}

func noSuchFile(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "invalid_request_error", "", "id", "No such File object: "+id)
}

func (s *Server) handleDeleteFile(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	id := r.PathValue("file_id")
	s.mu.Lock()
	_, ok := s.files[id]
	delete(s.files, id)
	for _, vs := range s.stores { // OpenAI also drops a deleted file from vector stores
		vs.files = slices.DeleteFunc(vs.files, func(f *vsFile) bool { return f.fileID == id })
	}
	s.mu.Unlock()
	if !ok {
		noSuchFile(w, id)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "file", "deleted": true})
}

// decodeBody reads a JSON body into v and records it; false means a 400 was sent.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err == nil {
		s.update(recOf(r), func(rec *Request) { rec.Body = body })
		if len(body) == 0 {
			body = []byte("{}")
		}
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "",
			"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)")
		return false
	}
	return true
}

func (s *Server) handleCreateVectorStore(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if !s.decodeBody(w, r, &in) {
		return
	}
	vs := &vectorStore{id: newID("vs_", 24), name: in.Name, created: time.Now()}
	s.mu.Lock()
	s.stores[vs.id] = vs
	obj := s.storeObject(vs)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj)
}

// storeObject is the vector store JSON; the caller holds s.mu.
func (s *Server) storeObject(vs *vectorStore) map[string]any {
	counts := map[string]int{"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": len(vs.files)}
	var usage int64
	for _, f := range vs.files {
		counts[s.status(f)]++
		if file := s.files[f.fileID]; file != nil {
			usage += file.Bytes
		}
	}
	status := "completed"
	if counts["in_progress"] > 0 {
		status = "in_progress"
	}
	return map[string]any{
		"id": vs.id, "object": "vector_store", "created_at": vs.created.Unix(), "name": vs.name,
		"usage_bytes": usage, "file_counts": counts, "status": status, "expires_after": nil,
		"expires_at": nil, "last_active_at": vs.created.Unix(), "metadata": map[string]any{},
	}
}

// store finds a vector store or answers 404; the caller holds s.mu.
func (s *Server) store(w http.ResponseWriter, id string) *vectorStore {
	vs := s.stores[id]
	if vs == nil {
		writeError(w, http.StatusNotFound, "invalid_request_error", "", "",
			fmt.Sprintf("No vector store found with id '%s'.", id))
	}
	return vs
}

func (s *Server) handleGetVectorStore(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if vs := s.store(w, r.PathValue("vs_id")); vs != nil {
		writeJSON(w, http.StatusOK, s.storeObject(vs))
	}
}

func (s *Server) handleDeleteVectorStore(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if vs := s.store(w, r.PathValue("vs_id")); vs != nil {
		delete(s.stores, vs.id)
		writeJSON(w, http.StatusOK, map[string]any{"id": vs.id, "object": "vector_store.deleted", "deleted": true})
	}
}

// storeFileObject is a vector store file's JSON; the caller holds s.mu.
func (s *Server) storeFileObject(vs *vectorStore, f *vsFile) map[string]any {
	var usage int64
	if file := s.files[f.fileID]; file != nil {
		usage = file.Bytes
	}
	status := s.status(f)
	var lastErr any
	if status == "failed" {
		lastErr = map[string]any{"code": f.fail.code, "message": f.fail.message}
	}
	return map[string]any{
		"id": f.fileID, "object": "vector_store.file", "created_at": f.attached.Unix(), "usage_bytes": usage,
		"vector_store_id": vs.id, "status": status, "last_error": lastErr, "attributes": map[string]any{},
		"chunking_strategy": map[string]any{"type": "static", "static": map[string]any{
			"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}},
	}
}

func (s *Server) handleAttachFile(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	var in struct {
		FileID string `json:"file_id"`
	}
	if !s.decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.store(w, r.PathValue("vs_id"))
	if vs == nil {
		return
	}
	file := s.files[in.FileID]
	if file == nil {
		writeError(w, http.StatusNotFound, "invalid_request_error", "", "file_id",
			fmt.Sprintf("No file found with id '%s'.", in.FileID))
		return
	}
	// Attaching again returns the existing attachment, as OpenAI does.
	for _, f := range vs.files {
		if f.fileID == in.FileID {
			writeJSON(w, http.StatusOK, s.storeFileObject(vs, f))
			return
		}
	}
	f := &vsFile{fileID: file.ID, attached: time.Now()}
	if fail, ok := s.failIdx[file.Filename]; ok {
		f.fail = &fail
	}
	vs.files = append(vs.files, f)
	obj := s.storeFileObject(vs, f)
	obj["status"] = "in_progress" // indexing always starts in progress
	obj["last_error"] = nil
	writeJSON(w, http.StatusOK, obj)
}

// storeFile finds an attached file or answers 404; the caller holds s.mu.
func (s *Server) storeFile(w http.ResponseWriter, r *http.Request) (*vectorStore, *vsFile) {
	vs := s.store(w, r.PathValue("vs_id"))
	if vs == nil {
		return nil, nil
	}
	id := r.PathValue("file_id")
	for _, f := range vs.files {
		if f.fileID == id {
			return vs, f
		}
	}
	writeError(w, http.StatusNotFound, "invalid_request_error", "", "",
		fmt.Sprintf("No file found with id '%s' in vector store '%s'.", id, vs.id))
	return nil, nil
}

func (s *Server) handleGetVectorStoreFile(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if vs, f := s.storeFile(w, r); f != nil {
		writeJSON(w, http.StatusOK, s.storeFileObject(vs, f))
	}
}

func (s *Server) handleDetachFile(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.begin(w, r, recOf(r)); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if vs, f := s.storeFile(w, r); f != nil {
		vs.files = slices.DeleteFunc(vs.files, func(x *vsFile) bool { return x == f })
		writeJSON(w, http.StatusOK, map[string]any{"id": f.fileID, "object": "vector_store.file.deleted", "deleted": true})
	}
}
