package store

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestLevelFloor(t *testing.T) {
	var buf bytes.Buffer
	h := levelFloor{next: slog.NewTextHandler(&buf, nil), min: slog.LevelWarn}
	log := slog.New(h).With("component", "ferretdb").WithGroup("conn").With("id", 7)
	log.Info("chatty")
	log.Warn("Response message: {...}")
	log.Warn("disk nearly full", "free", "1%")
	got := buf.String()
	if strings.Contains(got, "chatty") || strings.Contains(got, "Response message") {
		t.Errorf("passed what it should drop:\n%s", got)
	}
	if !strings.Contains(got, "disk nearly full") || !strings.Contains(got, "component=ferretdb") || !strings.Contains(got, "conn.id=7") || !strings.Contains(got, "conn.free=1%") {
		t.Errorf("lost the warning or its attributes:\n%s", got)
	}
	if h.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("enabled below the floor")
	}
}
