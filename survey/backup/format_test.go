package backup_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/canvass-survey/canvass/survey/backup"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// sample is a small backup made by the Writer: its uncompressed stream, its
// documents as written, and its trailer record.
type sample struct {
	plain   []byte
	docs    [][]byte // cases a, b, c, then users u1, u2
	trailer []byte
}

func newSample(t testing.TB) sample {
	t.Helper()
	var s sample
	var buf bytes.Buffer
	w, err := backup.NewWriter(&buf, backup.Header{CodeVersion: "test", Created: time.Unix(0, 0), Database: "canvass"})
	if err != nil {
		t.Fatal(err)
	}
	for _, coll := range []struct {
		name string
		ids  []string
	}{{"cases", []string{"a", "b", "c"}}, {"users", []string{"u1", "u2"}}} {
		if err := w.Collection(coll.name); err != nil {
			t.Fatal(err)
		}
		for i, id := range coll.ids {
			doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: id}, {Key: "n", Value: int32(i)}, {Key: "text", Value: "some text " + id}})
			if err := w.Document(doc); err != nil {
				t.Fatal(err)
			}
			s.docs = append(s.docs, doc)
		}
	}
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	s.plain = gunzip(t, buf.Bytes())
	tr, _ := bson.Marshal(m)
	s.trailer = append([]byte{'T'}, tr...)
	if !bytes.HasSuffix(s.plain, s.trailer) {
		t.Fatal("the stream does not end with the trailer")
	}
	return s
}

// at is where document i's record (its kind byte) starts in the stream.
func (s sample) at(i int) int { return bytes.Index(s.plain, s.docs[i]) - 1 }

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// edit returns a copy of b changed by fn.
func edit(b []byte, fn func([]byte) []byte) []byte { return fn(bytes.Clone(b)) }

func readAll(b []byte) error {
	r, err := backup.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	for {
		if _, _, err := r.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func TestReader(t *testing.T) {
	s := newSample(t)
	if err := readAll(gz(s.plain)); err != nil {
		t.Fatalf("the good file: %v", err)
	}
	header := s.plain[:1+binary.LittleEndian.Uint32(s.plain[1:])]
	noID, _ := bson.Marshal(bson.D{{Key: "x", Value: 1}})
	compressed := gz(s.plain)
	for _, tt := range []struct {
		name string
		file []byte
		want string
	}{
		{"NotGzip", []byte("hello, world"), "not a Canvass backup (not a gzip file)"},
		{"NotABackup", gz(append([]byte{'H'}, noID...)), "not a Canvass backup: it does not start with a backup header"},
		{"OtherVersion", gz(edit(header, func(b []byte) []byte {
			return bytes.Replace(b, []byte("version\x00\x01\x00\x00\x00"), []byte("version\x00\x02\x00\x00\x00"), 1)
		})), "format version 2"},
		{"Empty", gz(nil), "header: the file ends here: it is truncated"},
		{"TruncatedInDocument", gz(s.plain[:s.at(2)+10]), `collection "cases", document 3: the file ends here: it is truncated`},
		{"TruncatedBeforeTrailer", gz(s.plain[:len(s.plain)-len(s.trailer)]), `collection "users", document 3: the file ends before its trailer`},
		{"TruncatedCompressed", compressed[:len(compressed)/2], "truncated"},
		{"Checksum", edit(compressed, func(b []byte) []byte { b[len(b)-6] ^= 0xff; return b }), "after the trailer: the gzip checksum does not match"},
		{"MoreAfterTrailer", gz(append(bytes.Clone(s.plain), 'x')), "after the trailer: more data"},
		{"DocumentChanged", gz(bytes.Replace(s.plain, []byte("some text b"), []byte("some text B"), 1)),
			`trailer: collection "cases": its documents hash to`},
		{"DocumentLeftOut", gz(edit(s.plain, func(b []byte) []byte { return append(b[:s.at(1)], b[s.at(2):]...) })),
			`trailer: collection "cases": the file holds 2 documents, the manifest says 3`},
		{"DuplicateID", gz(edit(s.plain, func(b []byte) []byte { b[s.at(1)+14] = 'a'; return b })),
			`collection "cases" holds two documents with _id "a"`},
		{"HugeLength", gz(edit(s.plain, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[s.at(2)+1:], 1<<31-1); return b })),
			`collection "cases", document 3: a record claims 2147483647 bytes`},
		{"InvalidBSON", gz(edit(s.plain, func(b []byte) []byte { b[s.at(2)+1+4] = 0x7e; return b })),
			`collection "cases", document 3: not a valid BSON document`},
		{"UnknownKind", gz(edit(s.plain, func(b []byte) []byte { b[s.at(3)] = 'X'; return b })),
			`collection "users", document 1: a record of unknown kind 'X'`},
		{"NoID", gz(append(append(bytes.Clone(header), 'C'), append(must(bson.Marshal(bson.D{{Key: "name", Value: "cases"}})), append([]byte{'D'}, noID...)...)...)),
			`collection "cases", document 1: the document has no _id`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := readAll(tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A restore from a file that does not verify writes nothing, even with
// wipe: the store keeps what it had.
func TestRestoreCorruptWritesNothing(t *testing.T) {
	s := newSample(t)
	ctx := context.Background()
	st := storetest.MustOpen(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, gz(s.plain), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := backup.Restore(ctx, st, good, backup.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	// The last document differs: only the trailer can tell.
	if err := os.WriteFile(bad, gz(bytes.Replace(s.plain, []byte("some text u2"), []byte("some text U2"), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := backup.Restore(ctx, st, bad, backup.RestoreOptions{Wipe: true})
	if err == nil || !strings.Contains(err.Error(), `nothing was written: `+bad+`: trailer: collection "users"`) {
		t.Errorf("got %v", err)
	}
	if full, err := st.NonEmpty(ctx); full == "" || err != nil {
		t.Errorf("the store was wiped: %q, %v", full, err)
	}
	if _, m, err := backup.VerifyFile(good); err != nil || backup.Check(ctx, st, m) != nil {
		t.Errorf("the store no longer holds the good file's documents: %v, %v", err, backup.Check(ctx, st, m))
	}
}

// The backup file comes from outside: reading any bytes must end in a
// verified file or an error, never a panic, and a file that verifies holds
// what its manifest says. Inputs come compressed or, so that mutations
// reach the records rather than break the gzip stream, as the stream that
// the fuzz function compresses.
func FuzzReader(f *testing.F) {
	s := newSample(f)
	good := gz(s.plain)
	f.Add(good, false)
	f.Add(good[:len(good)/2], false)
	f.Add(s.plain, true)
	f.Add(s.plain[:s.at(2)+3], true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, file []byte, plain bool) {
		if plain {
			file = gz(file)
		}
		r, err := backup.NewReader(bytes.NewReader(file))
		if err != nil {
			return
		}
		counts := map[string]int64{}
		for {
			coll, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			counts[coll]++
		}
		for _, e := range r.Manifest().Collections {
			if counts[e.Name] != e.Count {
				t.Errorf("collection %q: read %d documents, the manifest says %d", e.Name, counts[e.Name], e.Count)
			}
		}
	})
}
