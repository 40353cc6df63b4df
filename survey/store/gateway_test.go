package store

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey/store/pgserver"
)

// Three instances' worth of updates arrive at once, more than the backend's
// pool has connections, as they do the moment a restarted store is back.
// Without the gateway's slots FerretDB deadlocks — every update holds one
// connection and waits for a second — and never answers again; with them
// every update is applied and the store answers at once afterwards.
func TestOutlastsUpdateBurst(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		updateBurst(t, servedBy(t, ServeConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Database: "t"}))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		pg, err := pgserver.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pg.Stop)
		updateBurst(t, servedBy(t, ServeConfig{Addr: "127.0.0.1:0", PostgreSQLURL: pg.URL, Database: "t"}))
	})
}

// servedBy starts `canvass store` and returns how to connect to it as
// another instance would, with a timeout.
func servedBy(t *testing.T, cfg ServeConfig) func(time.Duration) *mongo.Collection {
	srv, err := StartServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return func(timeout time.Duration) *mongo.Collection {
		c, err := mongo.Connect(options.Client().ApplyURI(srv.URI).SetTimeout(timeout))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
		return c.Database("t").Collection("burst")
	}
}

func updateBurst(t *testing.T, connect func(timeout time.Duration) *mongo.Collection) {
	const instances, callers, rounds = 3, 100, 3 // each instance's driver pool is 100
	ctx := context.Background()
	coll := connect(time.Minute)
	docs := make([]any, instances*callers)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}

	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := range instances {
		instance := connect(20 * time.Second)
		for j := range callers {
			wg.Go(func() {
				for range rounds {
					if _, err := instance.UpdateOne(ctx, bson.D{{Key: "_id", Value: i*callers + j}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
						if failed.Add(1) == 1 {
							t.Errorf("update: %v", err)
						}
					}
				}
			})
		}
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d updates failed", n, instances*callers*rounds)
	}

	after := connect(5 * time.Second)
	if _, err := after.UpdateOne(ctx, bson.D{{Key: "_id", Value: 0}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
		t.Fatalf("the store does not answer after the burst: %v", err)
	}
	var sum []bson.M
	cur, err := after.Aggregate(ctx, mongo.Pipeline{{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "n", Value: bson.D{{Key: "$sum", Value: "$n"}}}}}}})
	if err == nil {
		err = cur.All(ctx, &sum)
	}
	if err != nil {
		t.Fatal(err)
	}
	if want := instances*callers*rounds + 1; len(sum) != 1 || toInt(sum[0]["n"]) != want {
		t.Errorf("sum of n = %v, want %d", sum, want)
	}
}

// A client that sends the gateway garbage — a length no message has, a
// message cut short — loses its own connection and nothing else: the next
// client is served, and nothing was written.
func TestGatewayRefusesGarbage(t *testing.T) {
	srv, err := StartServer(context.Background(), ServeConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Database: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	addr := srv.e.gw.ln.Addr().String()
	connect := func() *mongo.Collection {
		c, err := mongo.Connect(options.Client().ApplyURI(srv.URI).SetTimeout(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
		return c.Database("t").Collection("burst")
	}
	if _, err := connect().InsertOne(context.Background(), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	for name, garbage := range map[string][]byte{
		"a length under a header":  {4, 0, 0, 0},
		"a length over the limit":  {0xff, 0xff, 0xff, 0x7f, 1, 2, 3},
		"a message cut short":      binary.LittleEndian.AppendUint32(nil, 100),
		"a header of another kind": append(binary.LittleEndian.AppendUint32(nil, 20), make([]byte, 16)...),
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(garbage); err != nil {
			t.Fatal(err)
		}
		if name == "a message cut short" {
			_ = c.(*net.TCPConn).CloseWrite()
		}
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("%s: the connection was not closed cleanly: %v", name, err)
		}
		c.Close()
	}
	n, err := connect().CountDocuments(context.Background(), bson.D{})
	if err != nil || n != 1 {
		t.Errorf("after the garbage: %d documents, %v; want the one inserted, served", n, err)
	}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int32:
		return int(n)
	case int64:
		return int(n)
	}
	return -1
}

func TestCommandName(t *testing.T) {
	body := func(kind byte, doc []byte) []byte {
		return append([]byte{kind}, doc...)
	}
	hello, _ := bson.Marshal(bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})
	update, _ := bson.Marshal(bson.D{{Key: "update", Value: "cases"}})
	sequence := binary.LittleEndian.AppendUint32(nil, uint32(4+8+len(hello)))
	sequence = append(append(sequence, "updates\x00"...), hello...)
	flags := []byte{0, 0, 0, 0}
	for _, tc := range []struct {
		name string
		msg  []byte
		want string
		ok   bool
	}{
		{"hello", append(flags, body(0, hello)...), "hello", true},
		{"update after a document sequence", append(append(flags, body(1, sequence)...), body(0, update)...), "update", true},
		{"no flags", []byte{0, 0}, "", false},
		{"no sections", flags, "", false},
		{"empty body", append(flags, 0, 5, 0, 0, 0, 0), "", false},
		{"unterminated key", append(flags, 0, 9, 0, 0, 0, 1, 'a', 'b'), "", false},
		{"sequence overruns", append(flags, 1, 200, 0, 0, 0), "", false},
		{"unknown kind", append(flags, 2, 5, 0, 0, 0, 0), "", false},
	} {
		got, err := commandName(tc.msg)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("%s: got %q, %v; want %q, ok %v", tc.name, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzCommandName(f *testing.F) {
	hello, _ := bson.Marshal(bson.D{{Key: "hello", Value: 1}})
	f.Add(append([]byte{0, 0, 0, 0, 0}, hello...))
	f.Add([]byte{0, 0, 0, 0, 1, 4, 0, 0, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		name, err := commandName(msg)
		if err == nil && len(name)+msgFlagsLen+6 > len(msg) {
			t.Fatalf("name %q longer than the message allows", name)
		}
	})
}
