package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
)

// Dump writes every collection of the schema to w, one after the other.
// It reads each collection once, as the store returns it: documents written
// meanwhile may or may not be in it, so for one moment's state stop the
// writers first.
func Dump(ctx context.Context, st *store.Store, w io.Writer, h Header) (Manifest, error) {
	bw, err := NewWriter(w, h)
	if err != nil {
		return Manifest{}, err
	}
	for _, name := range store.Collections() {
		if err := bw.Collection(name); err != nil {
			return Manifest{}, err
		}
		if err := st.EachRaw(ctx, name, bw.Document); err != nil {
			return Manifest{}, err
		}
	}
	return bw.Close()
}

// WriteFile dumps the store into path: into a temporary file beside it,
// flushed to disk and read back through the Reader, then renamed. A failed
// or interrupted backup leaves no file at path, and one that is there has
// been verified once. The file is readable by its owner only: it holds the
// respondents' personal data.
func WriteFile(ctx context.Context, st *store.Store, path string, h Header) (Manifest, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return Manifest{}, err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	m, err := Dump(ctx, st, f, h)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Manifest{}, err
	}
	if _, _, err := VerifyFile(f.Name()); err != nil {
		return Manifest{}, fmt.Errorf("reading the backup back: %w", err)
	}
	return m, os.Rename(f.Name(), path)
}

// VerifyFile reads the whole file and checks it against its manifest.
func VerifyFile(path string) (Header, Manifest, error) {
	return scan(path, func(string, bson.Raw) error { return nil })
}

// scan reads path, calling fn with every document, and returns its header
// and manifest; it returns no error only when the whole file verified.
func scan(path string, fn func(coll string, doc bson.Raw) error) (Header, Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, Manifest{}, err
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		return Header{}, Manifest{}, fmt.Errorf("%s: %w", path, err)
	}
	for {
		coll, doc, err := r.Next()
		if err == io.EOF {
			return r.Header(), r.Manifest(), nil
		}
		if err != nil {
			return Header{}, Manifest{}, fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(coll, doc); err != nil {
			return Header{}, Manifest{}, err
		}
	}
}

// RestoreOptions says how to restore.
type RestoreOptions struct {
	// Wipe (--wipe) lets a restore replace a database that holds documents.
	Wipe bool
	// Secret is the service's. A backup whose sealed links it does not
	// open is refused with ErrOtherSecret, unless OtherSecret
	// (--other-secret).
	Secret      []byte
	OtherSecret bool
}

// ErrOtherSecret is a restore refused because the configured secret is not
// the one the backup's cases were made under: their links would not open,
// and reminders could not carry them.
var ErrOtherSecret = errors.New("the configured secret is not the one this backup's cases were made under: restored links would not open and reminders could not carry them")

// insertChunk and insertBytes bound one insert: each is one call with the
// store's timeout.
const (
	insertChunk = 1000
	insertBytes = 8 << 20
)

// Restore restores the backup in path into st and returns its header and
// manifest.
//
// It reads the file twice. The first pass verifies all of it — every record,
// the counts and content hashes against the manifest, the collections
// against this version's schema, the configured secret against a sealed
// link — and writes nothing; only then does the second pass write. The file
// is on disk, so reading it again costs little beside the inserts, and a bad
// file is refused whole instead of being found bad half-way through, when
// Wipe would already have dropped the data it was meant to replace. At the
// end every collection is read back from the store and checked against the
// manifest.
func Restore(ctx context.Context, st *store.Store, path string, o RestoreOptions) (Header, Manifest, error) {
	var sealed *survey.Case // the first case with a sealed token
	h, m, err := scan(path, func(coll string, doc bson.Raw) error {
		if sealed == nil && coll == store.CaseCollection {
			var c survey.Case
			if bson.Unmarshal(doc, &c) == nil && c.SealedToken != "" {
				sealed = &c
			}
		}
		return nil
	})
	if err != nil {
		return h, m, fmt.Errorf("nothing was written: %w", err)
	}
	for _, e := range m.Collections {
		if !slices.Contains(store.Collections(), e.Name) {
			return h, m, fmt.Errorf("nothing was written: the backup holds collection %q, which this version of canvass does not know", e.Name)
		}
	}
	if sealed != nil && !o.OtherSecret {
		tok, err := token.NewSealer(o.Secret).Open(sealed.SealedToken)
		if err != nil || token.NewHasher(o.Secret).CaseID(tok) != sealed.ID {
			return h, m, fmt.Errorf("nothing was written: %w (case %s)", ErrOtherSecret, sealed.ID)
		}
	}
	full, err := st.NonEmpty(ctx)
	if err != nil {
		return h, m, err
	}
	if full != "" {
		if !o.Wipe {
			return h, m, fmt.Errorf("nothing was written: the database is not empty (%s holds documents); say --wipe to replace it", full)
		}
		if err := st.Wipe(ctx); err != nil {
			return h, m, err
		}
	}
	if err := insertAll(ctx, st, path); err != nil {
		return h, m, fmt.Errorf("the database is only partly restored (restore again with --wipe): %w", err)
	}
	return h, m, Check(ctx, st, m)
}

// insertAll inserts every document of the file in chunks.
func insertAll(ctx context.Context, st *store.Store, path string) error {
	var (
		coll  string
		chunk []bson.Raw
		size  int
	)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := st.InsertRaw(ctx, coll, chunk)
		chunk, size = chunk[:0], 0
		return err
	}
	_, _, err := scan(path, func(c string, doc bson.Raw) error {
		if c != coll || len(chunk) == insertChunk || size+len(doc) > insertBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		coll, chunk, size = c, append(chunk, doc), size+len(doc)
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// Check reads every collection of the manifest back from the store and
// compares its count and content hash with the manifest's.
func Check(ctx context.Context, st *store.Store, m Manifest) error {
	for _, want := range m.Collections {
		var d digest
		if err := st.EachRaw(ctx, want.Name, d.add); err != nil {
			return err
		}
		got, err := d.entry(want.Name)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("collection %q differs from the backup: the store holds %d documents hashing to %s, the backup %d hashing to %s",
				want.Name, got.Count, got.SHA256, want.Count, want.SHA256)
		}
	}
	return nil
}
