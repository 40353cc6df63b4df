// Package backup copies every collection of the store into one file and
// restores a store from it, verified against the file's own manifest.
//
// The file is one gzip stream of records. A record is a kind byte followed
// by a BSON document, whose first four bytes are its length (little-endian
// int32), so every record is length-prefixed:
//
//	'H' header      {format: "canvass-backup", version: 1, code_version, created, database}
//	'C' collection  {name}: the documents that follow belong to it
//	'D' document    a stored document, byte for byte as the store gave it
//	'T' trailer     {collections: [{name, count, sha256}]}
//
// in that order: the header, each collection's record and its documents,
// the trailer, and then the end of the stream. A collection's sha256 is the
// SHA-256 of its documents' SHA-256 digests, taken in ascending order of
// their raw _id (the BSON type byte, then the value's bytes): it does not
// depend on the order the store returned them in, so a restore is checked
// by reading the store back in any order, and the writer never has to ask
// the store to sort (the embedded store would sort the whole collection in
// memory). Only an _id and a digest per document of one collection are held
// while reading, never the documents.
package backup

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Format and Version name the layout above; a reader refuses any other.
const (
	Format  = "canvass-backup"
	Version = 1
)

// Record kinds.
const (
	kindHeader     = 'H'
	kindCollection = 'C'
	kindDocument   = 'D'
	kindTrailer    = 'T'
)

// maxDocument is MongoDB's largest document: a length beyond it is
// corruption, and is refused before anything is allocated for it.
const maxDocument = 16 << 20

// Header says what the file holds and where it came from.
type Header struct {
	Format      string    `bson:"format"`
	Version     int32     `bson:"version"`
	CodeVersion string    `bson:"code_version"` // canvass version that wrote it
	Created     time.Time `bson:"created"`
	Database    string    `bson:"database"`
}

// Manifest is the trailer: what each collection of the file holds.
type Manifest struct {
	Collections []Entry `bson:"collections"`
}

// Entry is one collection of a manifest.
type Entry struct {
	Name   string `bson:"name"`
	Count  int64  `bson:"count"`
	SHA256 string `bson:"sha256"`
}

// digest accumulates a collection's content hash (see the package comment).
type digest struct {
	docs []idSum
}

type idSum struct {
	id  string // the _id's type byte and value bytes
	sum [sha256.Size]byte
}

func (d *digest) add(doc bson.Raw) error {
	id, err := doc.LookupErr("_id")
	if err != nil {
		return errors.New("the document has no _id")
	}
	d.docs = append(d.docs, idSum{id: string(append([]byte{byte(id.Type)}, id.Value...)), sum: sha256.Sum256(doc)})
	return nil
}

// entry sorts the digests by _id and hashes them; two documents with one
// _id cannot both be restored, so they are an error here already.
func (d *digest) entry(name string) (Entry, error) {
	slices.SortFunc(d.docs, func(a, b idSum) int { return bytes.Compare([]byte(a.id), []byte(b.id)) })
	h := sha256.New()
	for i, doc := range d.docs {
		if i > 0 && doc.id == d.docs[i-1].id {
			id := bson.RawValue{Type: bson.Type(doc.id[0]), Value: []byte(doc.id[1:])}
			return Entry{}, fmt.Errorf("collection %q holds two documents with _id %s", name, id)
		}
		h.Write(doc.sum[:])
	}
	return Entry{Name: name, Count: int64(len(d.docs)), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Writer writes a backup file: the header, then Collection and its
// documents for each collection, then Close for the trailer.
type Writer struct {
	gz     *gzip.Writer
	coll   string
	digest digest
	done   []Entry
}

// NewWriter writes the header to w.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	h.Format, h.Version = Format, Version
	bw := &Writer{gz: gzip.NewWriter(w)}
	return bw, bw.record(kindHeader, h)
}

func (w *Writer) record(kind byte, v any) error {
	doc, err := bson.Marshal(v)
	if err != nil {
		return err
	}
	return w.raw(kind, doc)
}

func (w *Writer) raw(kind byte, doc []byte) error {
	if _, err := w.gz.Write([]byte{kind}); err != nil {
		return err
	}
	_, err := w.gz.Write(doc)
	return err
}

// Collection starts the named collection.
func (w *Writer) Collection(name string) error {
	if err := w.endCollection(); err != nil {
		return err
	}
	w.coll = name
	return w.record(kindCollection, bson.D{{Key: "name", Value: name}})
}

func (w *Writer) endCollection() error {
	if w.coll == "" {
		return nil
	}
	e, err := w.digest.entry(w.coll)
	if err != nil {
		return err
	}
	w.done, w.coll, w.digest = append(w.done, e), "", digest{}
	return nil
}

// Document writes one document of the current collection.
func (w *Writer) Document(doc bson.Raw) error {
	if w.coll == "" {
		return errors.New("backup: a document before any collection")
	}
	if err := w.digest.add(doc); err != nil {
		return fmt.Errorf("collection %q, document %d: %w", w.coll, len(w.digest.docs)+1, err)
	}
	return w.raw(kindDocument, doc)
}

// Close writes the trailer and ends the gzip stream; it does not close the
// underlying writer.
func (w *Writer) Close() (Manifest, error) {
	if err := w.endCollection(); err != nil {
		return Manifest{}, err
	}
	m := Manifest{Collections: w.done}
	if err := w.record(kindTrailer, m); err != nil {
		return Manifest{}, err
	}
	return m, w.gz.Close()
}

// Reader reads a backup file and checks it as it goes: every record whole
// and valid, every document with an _id, and at the end the counts and
// content hashes against the trailer and the gzip checksum. Next returns
// io.EOF only when all of that held.
type Reader struct {
	in     *bufio.Reader
	header Header
	coll   string
	index  int // documents of coll read so far
	digest digest
	seen   []Entry
	m      *Manifest
}

// NewReader reads the header.
func NewReader(r io.Reader) (*Reader, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a Canvass backup (not a gzip file): %w", err)
	}
	br := &Reader{in: bufio.NewReaderSize(gz, 1<<16)}
	kind, doc, err := br.record()
	if err == io.EOF {
		err = describe(io.ErrUnexpectedEOF)
	}
	if err != nil {
		return nil, br.errorf("%w", err)
	}
	if kind != kindHeader || bson.Unmarshal(doc, &br.header) != nil || br.header.Format != Format {
		return nil, errors.New("not a Canvass backup: it does not start with a backup header")
	}
	if br.header.Version != Version {
		return nil, fmt.Errorf("a backup of format version %d, which this canvass (reading version %d) does not know", br.header.Version, Version)
	}
	return br, nil
}

// Header is the file's header.
func (r *Reader) Header() Header { return r.header }

// Manifest is the verified trailer, once Next has returned io.EOF.
func (r *Reader) Manifest() Manifest { return *r.m }

// Next returns the next document and its collection. doc is the reader's
// own copy; io.EOF means the whole file was read and verified.
func (r *Reader) Next() (coll string, doc bson.Raw, err error) {
	if r.m != nil {
		return "", nil, io.EOF
	}
	for {
		kind, doc, err := r.record()
		if err == io.EOF {
			err = errors.New("the file ends before its trailer: it is truncated")
		}
		if err != nil {
			return "", nil, r.errorf("%w", err)
		}
		switch kind {
		case kindDocument:
			if r.coll == "" {
				return "", nil, r.errorf("a document before any collection record")
			}
			if err := r.digest.add(doc); err != nil {
				return "", nil, r.errorf("%w", err)
			}
			r.index++
			return r.coll, doc, nil
		case kindCollection:
			if err := r.endCollection(); err != nil {
				return "", nil, err
			}
			name, ok := doc.Lookup("name").StringValueOK()
			if !ok || name == "" {
				return "", nil, r.errorf("a collection record without a name")
			}
			if slices.ContainsFunc(r.seen, func(e Entry) bool { return e.Name == name }) {
				return "", nil, r.errorf("collection %q a second time", name)
			}
			r.coll, r.index = name, 0
		case kindTrailer:
			if err := r.endCollection(); err != nil {
				return "", nil, err
			}
			return "", nil, r.trailer(doc)
		default:
			return "", nil, r.errorf("a record of unknown kind %q", kind)
		}
	}
}

func (r *Reader) endCollection() error {
	if r.coll == "" {
		return nil
	}
	e, err := r.digest.entry(r.coll)
	if err != nil {
		return err
	}
	r.seen, r.coll, r.digest = append(r.seen, e), "", digest{}
	return nil
}

// trailer checks the manifest against what was read, then that the stream
// ends there with a good checksum; it returns io.EOF when all holds.
func (r *Reader) trailer(doc bson.Raw) error {
	var m Manifest
	if err := bson.Unmarshal(doc, &m); err != nil {
		return fmt.Errorf("trailer: not a manifest: %w", err)
	}
	for i, e := range m.Collections {
		if i >= len(r.seen) {
			return fmt.Errorf("trailer: the manifest lists collection %q, which the file does not hold", e.Name)
		}
		got := r.seen[i]
		switch {
		case got.Name != e.Name:
			return fmt.Errorf("trailer: the manifest lists collection %q where the file holds %q", e.Name, got.Name)
		case got.Count != e.Count:
			return fmt.Errorf("trailer: collection %q: the file holds %d documents, the manifest says %d", e.Name, got.Count, e.Count)
		case got.SHA256 != e.SHA256:
			return fmt.Errorf("trailer: collection %q: its documents hash to %s, the manifest says %s", e.Name, got.SHA256, e.SHA256)
		}
	}
	if len(r.seen) > len(m.Collections) {
		return fmt.Errorf("trailer: the file holds collection %q, which the manifest does not list", r.seen[len(m.Collections)].Name)
	}
	// Reading past the trailer makes gzip check its checksum and length.
	switch _, err := r.in.ReadByte(); {
	case err == nil:
		return errors.New("after the trailer: more data, where the file should end")
	case err != io.EOF:
		return fmt.Errorf("after the trailer: %w", describe(err))
	}
	r.m = &m
	return io.EOF
}

// record reads one record; io.EOF only where a record would start.
func (r *Reader) record() (kind byte, doc bson.Raw, err error) {
	if kind, err = r.in.ReadByte(); err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		return 0, nil, describe(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(r.in, size[:]); err != nil {
		return 0, nil, describe(err)
	}
	n := binary.LittleEndian.Uint32(size[:])
	if n < 5 || n > maxDocument {
		return 0, nil, fmt.Errorf("a record claims %d bytes, which no BSON document has: the file is corrupt", n)
	}
	// Grown as the bytes arrive: a corrupt length costs no more memory
	// than the file has bytes.
	buf := bytes.NewBuffer(make([]byte, 0, min(n, 64<<10)))
	buf.Write(size[:])
	if _, err := buf.ReadFrom(io.LimitReader(r.in, int64(n)-4)); err != nil {
		return 0, nil, describe(err)
	}
	if buf.Len() < int(n) {
		return 0, nil, describe(io.ErrUnexpectedEOF)
	}
	doc = buf.Bytes()
	if err := doc.Validate(); err != nil {
		return 0, nil, fmt.Errorf("not a valid BSON document (%v): the file is corrupt", err)
	}
	return kind, doc, nil
}

// describe says in words what a read error means for the file.
func describe(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("the file ends here: it is truncated")
	case errors.Is(err, gzip.ErrChecksum):
		return errors.New("the gzip checksum does not match: the file is corrupt")
	}
	return fmt.Errorf("the file is corrupt: %w", err)
}

// errorf says where in the file something went wrong.
func (r *Reader) errorf(format string, a ...any) error {
	where := "header"
	switch {
	case r.coll != "":
		where = fmt.Sprintf("collection %q, document %d", r.coll, r.index+1)
	case len(r.seen) > 0:
		where = fmt.Sprintf("after collection %q", r.seen[len(r.seen)-1].Name)
	case r.header.Format != "":
		where = "after the header"
	}
	return fmt.Errorf("%s: %w", where, fmt.Errorf(format, a...))
}
