// Package panics turns a panic into an error of its own request: Recover in a deferred call gives an
// *Error with the stack, which the caller logs once and answers like any internal failure. Every
// goroutine that runs request work outside Echo's middleware (the stream reader, the write batcher,
// an upload's pipe) recovers this way, so one bad request cannot take the process down.
//
// Hook marks a point where a test may inject a panic (Inject); it costs one atomic load otherwise.
package panics

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"
)

// Error is a recovered panic: its value and the stack of the goroutine that panicked.
type Error struct {
	Value any
	Stack []byte
}

func (e *Error) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic's value when it was an error.
func (e *Error) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Recover, deferred directly (defer panics.Recover(&err)), stores a panic of the deferring
// function in *errp as an *Error and stops it there.
func Recover(errp *error) {
	if v := recover(); v != nil {
		*errp = &Error{Value: v, Stack: debug.Stack()}
	}
}

// armed is the hook point where the next Hook call panics ("" or nil: none).
var armed atomic.Pointer[string]

// Hook panics when a test armed this point with Inject; otherwise it does nothing.
func Hook(point string) {
	if p := armed.Load(); p != nil && *p == point {
		panic("injected panic at " + point)
	}
}

// TB is the part of testing.TB that Inject needs.
type TB interface{ Cleanup(func()) }

// Inject makes every Hook(point) panic until the test ends or the returned func is called. The hook
// is process-wide: a test that injects must not run in parallel with others that pass the point.
func Inject(t TB, point string) (disarm func()) {
	armed.Store(&point)
	disarm = func() { armed.Store(nil) }
	t.Cleanup(disarm)
	return disarm
}

// Points where tests may inject a panic.
const (
	PointChatSend     = "chat.send"   // the /chat handler's goroutine
	PointStreamReader = "chat.stream" // the goroutine reading a stream from upstream
	PointBatchJob     = "store.batch" // a job inside the write batcher's goroutine
	PointUploadPipe   = "llm.upload"  // the goroutine writing an upload's multipart body
)
