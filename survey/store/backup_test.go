package store

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/canvass-survey/canvass/survey"
)

func rawDoc(t *testing.T, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Wipe leaves every collection empty with its indexes as Open makes them:
// the unique ones enforced, and the embedded store's _id index in use.
func TestWipe(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, t.TempDir())
	defer s.Close(ctx)
	if err := s.InsertRaw(ctx, collUsers, []bson.Raw{rawDoc(t, bson.D{{Key: "_id", Value: "u1"}, {Key: "email", Value: "a@example.org"}})}); err != nil {
		t.Fatal(err)
	}
	if full, err := s.NonEmpty(ctx); full != collUsers || err != nil {
		t.Fatalf("NonEmpty: %q, %v", full, err)
	}
	if err := s.Wipe(ctx); err != nil {
		t.Fatal(err)
	}
	if full, err := s.NonEmpty(ctx); full != "" || err != nil {
		t.Errorf("after Wipe %q holds documents (%v)", full, err)
	}
	for _, name := range Collections() {
		if plan := idPlan(t, s.db, name); !strings.Contains(plan, idIndexPrefix) {
			t.Errorf("%s: a find by _id does not use the index after Wipe: %s", name, plan)
		}
	}
	u := []bson.Raw{rawDoc(t, bson.D{{Key: "_id", Value: "u2"}, {Key: "email", Value: "a@example.org"}})}
	if err := s.InsertRaw(ctx, collUsers, u); err != nil {
		t.Fatal(err)
	}
	u = []bson.Raw{rawDoc(t, bson.D{{Key: "_id", Value: "u3"}, {Key: "email", Value: "a@example.org"}})}
	if err := s.InsertRaw(ctx, collUsers, u); survey.ErrorCode(err) != survey.ECONFLICT {
		t.Errorf("a second user with one email: %v; want the unique index's conflict", err)
	}
	var ids []string
	if err := s.EachRaw(ctx, collUsers, func(doc bson.Raw) error {
		ids = append(ids, doc.Lookup("_id").StringValue())
		return nil
	}); err != nil || len(ids) != 1 || ids[0] != "u2" {
		t.Errorf("EachRaw: %v, %v", ids, err)
	}
}

// A collection name from a backup file that the schema lacks is an error,
// not the panic of a bug.
func TestRawOutsideSchema(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, t.TempDir())
	defer s.Close(ctx)
	if err := s.InsertRaw(ctx, "nonesuch", []bson.Raw{rawDoc(t, bson.D{{Key: "_id", Value: 1}})}); err == nil || !strings.Contains(err.Error(), `"nonesuch" is not in this version's schema`) {
		t.Errorf("InsertRaw: %v", err)
	}
	if err := s.EachRaw(ctx, "nonesuch", func(bson.Raw) error { return nil }); err == nil {
		t.Error("EachRaw: no error")
	}
}
