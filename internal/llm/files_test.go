package llm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

func TestUploadExactBytes(t *testing.T) {
	env := newEnv(t, Config{}, false)
	data := make([]byte, 300_000)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	name := `Résumé "final" (v2).pdf`
	f, err := env.c.UploadFile(context.Background(), name, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.ID, "file-") || f.Bytes != int64(len(data)) {
		t.Errorf("file %+v", f)
	}
	got, ok := env.fake.File(f.ID)
	sum := sha256.Sum256(data)
	if !ok || got.Filename != name || got.Purpose != "assistants" || got.Bytes != int64(len(data)) ||
		got.SHA256 != hex.EncodeToString(sum[:]) || !bytes.Equal(got.Content, data) {
		t.Errorf("stored %q %q %d %s", got.Filename, got.Purpose, got.Bytes, got.SHA256)
	}
	req := env.fake.RequestsTo(fakeopenai.CreateFile)[0]
	if req.ContentLength != -1 || !strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data; boundary=") ||
		req.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("upload request: length %d, headers %v", req.ContentLength, req.Header)
	}
}

func TestUploadErrorsNotRetried(t *testing.T) {
	env := newEnv(t, Config{}, false)
	for _, tc := range []struct {
		fault fakeopenai.Fault
		kind  Kind
	}{
		{fakeopenai.ServerError(), KindUpstream},
		{fakeopenai.RateLimit(0), KindRateLimited},
		{fakeopenai.InvalidAPIKey(), KindAuth},
		{fakeopenai.DropConnection(), KindUpstream},
	} {
		env.fake.ResetRequests()
		env.fake.Fail(fakeopenai.CreateFile, 1, tc.fault)
		_, err := env.c.UploadFile(context.Background(), "a.txt", strings.NewReader(strings.Repeat("x", 100_000)))
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.kind || e.Attempts != 1 || env.fake.Count(fakeopenai.CreateFile) != 1 {
			t.Errorf("%+v: %v, %d calls", tc.fault.Status, err, env.fake.Count(fakeopenai.CreateFile))
		}
	}
	// A reader that fails aborts the upload.
	_, err := env.c.UploadFile(context.Background(), "a.txt", io.MultiReader(strings.NewReader("abc"), errReader{}))
	if err == nil {
		t.Error("upload of a failing reader succeeded")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// patternReader yields n deterministic bytes without holding them.
type patternReader struct {
	n, off int64
	block  []byte
}

func newPatternReader(n int64) *patternReader {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return &patternReader{n: n, block: b}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	k := 0
	for k < len(p) {
		k += copy(p[k:], r.block[(r.off+int64(k))%int64(len(r.block)):])
	}
	r.off += int64(k)
	return k, nil
}

// uploadSize is 200 MB (about 1 s here, 3 s with -race); 32 MB with -short.
func uploadSize() int64 {
	if testing.Short() {
		return 32 << 20
	}
	return 200 << 20
}

// memoryBudget is what an upload of any size may allocate (the fake keeps a
// 1 MiB prefix; the rest is copy buffers).
const memoryBudget = 16 << 20

// TestUploadMemoryBounded uploads a large generated file and checks that
// neither the client nor the fake (same process) holds it in memory.
func TestUploadMemoryBounded(t *testing.T) {
	size := uploadSize()
	env := newEnv(t, Config{}, false)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // sample the heap while uploading
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f, err := env.c.UploadFile(context.Background(), "big.bin", newPatternReader(size))
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	_, _ = io.Copy(h, newPatternReader(size))
	got, _ := env.fake.File(f.ID)
	if f.Bytes != size || got.Bytes != size || got.SHA256 != hex.EncodeToString(h.Sum(nil)) || !got.Truncated {
		t.Errorf("stored %d bytes (client saw %d), sha %s", got.Bytes, f.Bytes, got.SHA256)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("uploaded %d MB in %v: allocated %.1f MB in total, heap in use %.1f MB before, peak %.1f MB",
		size>>20, elapsed.Round(time.Millisecond), float64(alloc)/(1<<20), float64(before.HeapInuse)/(1<<20), float64(peak.Load())/(1<<20))
	if alloc > memoryBudget || growth > memoryBudget {
		t.Errorf("memory grew with the upload: allocated %d, heap growth %d for %d bytes", alloc, growth, size)
	}
}

func BenchmarkUpload200MB(b *testing.B) {
	fake := fakeopenai.Start(b)
	c := New(Config{APIKey: "k", BaseURL: fake.URL()}, nil)
	const size = 200 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.UploadFile(context.Background(), "big.bin", newPatternReader(size)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestVectorStoresAndCitations(t *testing.T) {
	env := newEnv(t, Config{}, false, fakeopenai.WithIndexingDelay(time.Second))
	ctx := context.Background()
	env.fake.FailIndexing("broken.txt", "unsupported_file", "The file type is not supported.")

	vsID, err := env.c.CreateVectorStore(ctx, "project 7")
	if err != nil || !strings.HasPrefix(vsID, "vs_") {
		t.Fatalf("%q %v", vsID, err)
	}
	good, err := env.c.UploadFile(ctx, "handbook.md", strings.NewReader("# Holidays are 30 days a year.\nMore text.\n"))
	if err != nil {
		t.Fatal(err)
	}
	broken, _ := env.c.UploadFile(ctx, "broken.txt", strings.NewReader("x"))
	for _, id := range []string{good.ID, broken.ID} {
		if st, err := env.c.AttachFile(ctx, vsID, id); err != nil || st != "in_progress" {
			t.Fatalf("attach: %q %v", st, err)
		}
	}
	st, lastErr, err := env.c.VectorStoreFileStatus(ctx, vsID, good.ID)
	if err != nil || st != "in_progress" || lastErr != "" {
		t.Errorf("early status %q %q %v", st, lastErr, err)
	}
	for deadline := time.Now().Add(3 * time.Second); st == "in_progress" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		st, lastErr, err = env.c.VectorStoreFileStatus(ctx, vsID, good.ID)
	}
	if st != "completed" || lastErr != "" || err != nil {
		t.Errorf("status %q %q %v", st, lastErr, err)
	}
	// The broken file was attached a moment after the good one, so it may finish indexing a moment later.
	st, lastErr, err = env.c.VectorStoreFileStatus(ctx, vsID, broken.ID)
	for deadline := time.Now().Add(3 * time.Second); st == "in_progress" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		st, lastErr, err = env.c.VectorStoreFileStatus(ctx, vsID, broken.ID)
	}
	if st != "failed" || lastErr != "The file type is not supported." || err != nil {
		t.Errorf("failed status %q %q %v", st, lastErr, err)
	}

	r := chatRequest("How many holidays?")
	r.VectorStoreIDs = []string{vsID}
	reply, err := env.c.Respond(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Text, `handbook.md says: "# Holidays are 30 days a year."`) {
		t.Errorf("text %q", reply.Text)
	}
	want := Citation{FileID: good.ID, Filename: "handbook.md", Quote: "# Holidays are 30 days a year.\nMore text."}
	if len(reply.Citations) != 1 || reply.Citations[0] != want {
		t.Errorf("citations %+v", reply.Citations)
	}

	s, err := env.c.Stream(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if c := s.Reply().Citations; len(c) != 1 || c[0] != want {
		t.Errorf("stream citations %+v", c)
	}

	// Deletes; a second delete is ErrNotFound.
	if err := env.c.DetachFile(ctx, vsID, broken.ID); err != nil {
		t.Error(err)
	}
	if err := env.c.DetachFile(ctx, vsID, broken.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("detach twice: %v", err)
	}
	if err := env.c.DeleteFile(ctx, good.ID); err != nil {
		t.Error(err)
	}
	err = env.c.DeleteFile(ctx, good.ID)
	var e *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &e) || e.Kind != KindNotFound || e.Attempts != 1 {
		t.Errorf("delete twice: %v", err)
	}
	if _, _, err := env.c.VectorStoreFileStatus(ctx, vsID, good.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("status of a deleted file: %v", err)
	}
	if _, err := env.c.AttachFile(ctx, vsID, "file-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("attach missing: %v", err)
	}
	if err := env.c.DeleteVectorStore(ctx, vsID); err != nil {
		t.Error(err)
	}
	if err := env.c.DeleteVectorStore(ctx, vsID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete store twice: %v", err)
	}
	if !strings.Contains(env.logs.String(), "op=vector_stores.attach") {
		t.Error("no log line for attach")
	}
}

func TestFileCallRetries(t *testing.T) {
	env := newEnv(t, Config{}, false)
	ctx := context.Background()
	// Creating a store is retried only when refused (429), not after a 5xx.
	env.fake.Fail(fakeopenai.CreateVectorStore, 2, fakeopenai.RateLimit(0))
	if _, err := env.c.CreateVectorStore(ctx, "x"); err != nil || env.fake.Count(fakeopenai.CreateVectorStore) != 3 {
		t.Errorf("429: %v, %d calls", err, env.fake.Count(fakeopenai.CreateVectorStore))
	}
	env.fake.Fail(fakeopenai.CreateVectorStore, 1, fakeopenai.ServerError())
	var e *Error
	if _, err := env.c.CreateVectorStore(ctx, "x"); !errors.As(err, &e) || e.Kind != KindUpstream || env.fake.Count(fakeopenai.CreateVectorStore) != 4 {
		t.Errorf("500: %v, %d calls", err, env.fake.Count(fakeopenai.CreateVectorStore))
	}
	// Idempotent calls retry 5xx and dropped connections.
	f, _ := env.c.UploadFile(ctx, "a.txt", strings.NewReader("a"))
	env.fake.Fail(fakeopenai.DeleteFile, 1, fakeopenai.ServerError())
	env.fake.Fail(fakeopenai.DeleteFile, 1, fakeopenai.DropConnection())
	if err := env.c.DeleteFile(ctx, f.ID); err != nil || env.fake.Count(fakeopenai.DeleteFile) != 3 {
		t.Errorf("delete: %v, %d calls", err, env.fake.Count(fakeopenai.DeleteFile))
	}
	env.fake.Fail(fakeopenai.GetVectorStoreFile, 1, fakeopenai.InvalidAPIKey())
	if _, _, err := env.c.VectorStoreFileStatus(ctx, "vs_x", "file-x"); !errors.As(err, &e) || e.Kind != KindAuth {
		t.Errorf("status 401: %v", err)
	}
	if got := env.sleeps.get(); len(got) != 4 {
		t.Errorf("waits %v", got)
	}
}

// BenchmarkRespondParallel measures the client's overhead and concurrency
// against an upstream that takes 50 ms per answer.
func BenchmarkRespondParallel(b *testing.B) {
	fake := fakeopenai.Start(b, fakeopenai.WithLatency(50*time.Millisecond))
	c := New(Config{APIKey: "k", BaseURL: fake.URL()}, nil)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Respond(context.Background(), chatRequest("hello")); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
