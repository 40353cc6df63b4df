package server

import (
	"context"
	"crypto/rand"
	"log/slog"
)

// maxRequestID bounds an id taken from a proxy's X-Request-Id: nginx's
// $request_id is 32 hex digits, a UUID 36 characters.
const maxRequestID = 64

// requestID is the id of a request: the one the proxy in front sent in
// X-Request-Id, so that its log and ours can be matched, if it is made of
// safe characters only and not too long; otherwise a new one. Anyone may
// send the header, so what it holds is never trusted further than that:
// it cannot break a log line, and it is never taken for anything else.
func requestID(header string) string {
	if wellFormedRequestID(header) {
		return header
	}
	return rand.Text()
}

func wellFormedRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for _, r := range []byte(id) {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

type requestIDKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestIDHandler adds the request's id to every line logged with a
// request's context (Logger.InfoContext and the like), wherever the line
// is written: in a handler or in a service the handler called.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r = r.Clone() // the caller's record may share its attributes with other copies
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
