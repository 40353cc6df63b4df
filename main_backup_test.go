package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// `canvass backup` and `canvass restore` on the configured store: a field
// period backed up, restored into another data directory, refused over
// data without --wipe, refused under another secret, refused from a
// truncated file.
func TestBackupRestoreCommand(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	envIn := func(dir, secret string) func(string) string {
		env := map[string]string{"CANVASS_DATA_DIR": filepath.Join(tmp, dir), "CANVASS_SECRET": secret}
		return func(k string) string { return env[k] }
	}
	const secret = "a-test-secret-of-at-least-32-characters"
	src := envIn("src", secret)
	if err := run(ctx, []string{"simulate", "--cities", "4", "--into-store"}, src, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "canvass.backup")
	var out strings.Builder
	if err := run(ctx, []string{"backup", "--out", file}, src, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^backed up database canvass into .*, read back and verified:\n(.|\n)*^  cases +20 documents  sha256 [0-9a-f]{64}$`).MatchString(out.String()) {
		t.Errorf("backup printed:\n%s", out.String())
	}
	manifest := out.String()[strings.Index(out.String(), "\n"):]

	dst := envIn("dst", secret)
	out.Reset()
	if err := run(ctx, []string{"restore", "--in", file}, dst, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "restored "+file+" (database canvass, ") || !strings.HasSuffix(out.String(), manifest) {
		t.Errorf("restore printed:\n%s\nwant the backup's manifest:%s", out.String(), manifest)
	}

	truncated := filepath.Join(tmp, "truncated.backup")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, b[:len(b)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	for _, tt := range []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"NoOut", []string{"backup"}, src, "--out FILE is required"},
		{"NoIn", []string{"restore"}, dst, "--in FILE is required"},
		{"NotEmpty", []string{"restore", "--in", file}, dst, "nothing was written: the database is not empty (cases holds documents); say --wipe"},
		{"Truncated", []string{"restore", "--in", truncated, "--wipe"}, dst, "nothing was written: " + truncated + ": collection "},
		{"OtherSecret", []string{"restore", "--in", file}, envIn("other", ""), "CANVASS_SECRET or CANVASS_SECRET_FILE), or say --other-secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stderr.Reset()
			err := run(ctx, tt.args, tt.env, io.Discard, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	if !strings.Contains(stderr.String(), "generated one into") {
		t.Errorf("restore under a generated secret does not say so: %q", stderr.String())
	}
	out.Reset()
	if err := run(ctx, []string{"restore", "--in", file, "--wipe"}, dst, &out, io.Discard); err != nil || !strings.HasSuffix(out.String(), manifest) {
		t.Errorf("with --wipe: %v\n%s", err, out.String())
	}
}
