package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
)

// openStore opens the embedded store in dir, as the service does.
func openStore(ctx context.Context, dir string) (*store.Store, error) {
	return store.Open(ctx, store.Config{DataDir: dir, Database: benchDatabase, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// storeRates is what the store alone does on this machine: it writes n
// cases of a synthetic frame into a fresh embedded store in dir with one
// InsertCases — the floor under a frame import — and then, from a driver
// client of its own on updateClients connections, updateOne({_id}, $set)
// on them — the floor under a respondent's save.
type storeRates struct {
	InsertsPerSec, UpdatesPerSec float64
}

// updateClients is how many driver connections update at once: one, as
// the service lets one write at a time reach the embedded store (its
// write slot, Store.Slots) and its mailer writes one message's records
// after another. From 16 connections SQLite puts writers to sleep and
// retries them, which the service's own writes never meet.
const updateClients = 1

func measureStore(ctx context.Context, dir string, in *instrument.Instrument, n, updates int) (storeRates, error) {
	st, err := openStore(ctx, dir)
	if err != nil {
		return storeRates{}, err
	}
	defer st.Close(context.WithoutCancel(ctx))
	// A first small import warms the store up, as the service's own
	// writes (the first user, a session, a key) do before its import.
	warm := floorCases(in, warmUp, 0)
	if err := st.InsertCases(ctx, "warm-up", warm); err != nil {
		return storeRates{}, err
	}
	cases := floorCases(in, n, warmUp)
	start := time.Now()
	if err := st.InsertCases(ctx, "floor", cases); err != nil {
		return storeRates{}, err
	}
	r := storeRates{InsertsPerSec: float64(n) / time.Since(start).Seconds()}
	ids := make([]string, n)
	for i, c := range cases {
		ids[i] = c.ID
	}
	r.UpdatesPerSec, err = updateRate(ctx, st.EmbeddedURI(), ids, updates)
	return r, err
}

const warmUp = 100

// floorCases are n cases of a synthetic frame, numbered from first, the
// size of those a frame import makes.
func floorCases(in *instrument.Instrument, n, first int) []*survey.Case {
	now := time.Now()
	cases := make([]*survey.Case, n)
	for i, f := range frame.Synthetic(first+n, 7, in)[first:] {
		id := fmt.Sprintf("floor%07d-%s", first+i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") // as long as a real case id
		cases[i] = &survey.Case{ID: id, Survey: in.ID, Status: survey.StatusNew, Frame: f, CreatedAt: now, UpdatedAt: now,
			SealedToken: fmt.Sprintf("%080d", first+i)}
	}
	return cases
}

// updateRate runs updates updateOne({_id}, $set) over ids from
// updateClients connections and returns their rate.
func updateRate(ctx context.Context, uri string, ids []string, updates int) (float64, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return 0, err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	cases := client.Database(benchDatabase).Collection("cases")
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, updateClients)
	start := time.Now()
	for range updateClients {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= updates; i = int(next.Add(1)) {
				set := bson.D{{Key: "$set", Value: bson.D{{Key: "answers.years_in_position", Value: i % 40}, {Key: "updated_at", Value: time.Now()}}}}
				res, err := cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: ids[i%len(ids)]}}, set)
				if err == nil && res.MatchedCount != 1 {
					err = fmt.Errorf("updateOne matched %d", res.MatchedCount)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(updates) / time.Since(start).Seconds(), nil
}
