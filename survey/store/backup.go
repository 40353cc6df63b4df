package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// What a backup needs of the store: the schema's collections, each read and
// written as raw documents, so that a backup copies what is stored, byte for
// byte, without knowing the types it holds.

// Collections names every collection of the schema, in its order.
func Collections() []string {
	names := make([]string, len(schema))
	for i, c := range schema {
		names[i] = c.name
	}
	return names
}

// rawColl is coll for a name that comes from outside (a backup file): one
// outside the schema is an error, not a bug.
func (s *Store) rawColl(name string) (*mongo.Collection, error) {
	for _, c := range schema {
		if c.name == name {
			return s.db.Collection(name), nil
		}
	}
	return nil, fmt.Errorf("store: collection %q is not in this version's schema", name)
}

// EachRaw calls fn with every document of the collection, undecoded, in the
// store's natural order (no sort: FerretDB would sort the whole collection
// in memory). doc is valid only during the call.
func (s *Store) EachRaw(ctx context.Context, coll string, fn func(doc bson.Raw) error) error {
	c, err := s.rawColl(coll)
	if err != nil {
		return err
	}
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000))
	if err != nil {
		return translate(err, coll)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		if err := fn(cur.Current); err != nil {
			return err
		}
	}
	return translate(cur.Err(), coll)
}

// InsertRaw inserts documents into the collection as they are, in order.
func (s *Store) InsertRaw(ctx context.Context, coll string, docs []bson.Raw) error {
	c, err := s.rawColl(coll)
	if err != nil {
		return err
	}
	all := make([]any, len(docs))
	for i, d := range docs {
		all[i] = d
	}
	_, err = c.InsertMany(ctx, all)
	return translate(err, coll)
}

// NonEmpty returns the first collection of the schema that holds a
// document, or "" when none does.
func (s *Store) NonEmpty(ctx context.Context) (string, error) {
	for _, c := range schema {
		err := s.db.Collection(c.name).FindOne(ctx, bson.D{}).Err()
		if err == nil {
			return c.name, nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return "", translate(err, c.name)
		}
	}
	return "", nil
}

// Wipe drops every collection of the schema and creates them again, empty,
// with their indexes (the embedded store's _id index too), as Open does.
func (s *Store) Wipe(ctx context.Context) error {
	for _, c := range schema {
		if err := s.db.Collection(c.name).Drop(ctx); err != nil {
			return fmt.Errorf("store: drop %s: %w", c.name, err)
		}
	}
	if err := s.createSchema(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// CaseCollection holds the cases: a restore opens a sealed token of its
// documents to check that the configured secret is the one they were made
// under.
const CaseCollection = collCases
