// Package store keeps cases in MongoDB, or in the embedded FerretDB when no
// MongoDB URI is configured. It translates driver errors into survey.Error
// codes and builds every update document itself, from ids the instrument has
// already checked, so nothing a respondent sends reaches the store as an
// operator or a path.
package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/canvass-survey/canvass/survey"
)

// Config says which store to use.
type Config struct {
	// URI of a MongoDB server; empty starts the embedded FerretDB in DataDir.
	URI      string
	DataDir  string
	Database string
	Logger   *slog.Logger
	// Timeout bounds every store call (the driver's client-side timeout);
	// 0 is DefaultTimeout.
	Timeout time.Duration
	// Durability is the write concern of every write: a write is
	// acknowledged once it is where this says. Zero is DefaultDurability.
	Durability Durability
	// Monitor, if set, sees every command the driver sends (the server's
	// store-latency metrics); nil: none.
	Monitor *event.CommandMonitor
}

// Durability is a write concern: W is "majority" or a number of replica-set
// members, Journal whether they must have the write in their journal.
type Durability struct {
	W       string
	Journal bool
}

// DefaultDurability acknowledges a write once a majority of a replica set
// has it in its journal: a write acknowledged survives the loss of the
// primary and a power cut of a minority. A standalone MongoDB or FerretDB
// treats majority as itself.
var DefaultDurability = Durability{W: "majority", Journal: true}

// DefaultTimeout bounds every store call that has no shorter deadline.
const DefaultTimeout = 10 * time.Second

// writeConcern is d as the driver's write concern.
func (d Durability) writeConcern() (*writeconcern.WriteConcern, error) {
	wc := &writeconcern.WriteConcern{Journal: &d.Journal}
	if d.W == "majority" {
		wc.W = "majority"
		return wc, nil
	}
	n, err := strconv.Atoi(d.W)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("store: write concern %q: want majority or a number of members from 1", d.W)
	}
	wc.W = n
	return wc, nil
}

// Store is the MongoDB-backed persistence of cases.
type Store struct {
	client   *mongo.Client
	db       *mongo.Database
	cases    *mongo.Collection
	users    *mongo.Collection
	sessions *mongo.Collection
	keys     *mongo.Collection
	audit    *mongo.Collection
	imports  *mongo.Collection
	embedded *embedded
	locks    caseLocks
	cas      casMode
}

// Open connects to the configured store, starting the embedded one if
// needed, and creates the indexes.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{}
	uri := cfg.URI
	if uri == "" {
		e, err := startEmbedded(backend{Addr: "127.0.0.1:0", DataDir: cfg.DataDir}, cfg.Logger)
		if err != nil {
			return nil, err
		}
		s.embedded = e
		uri = e.uri
	}
	if cfg.Durability == (Durability{}) {
		cfg.Durability = DefaultDurability
	}
	wc, err := cfg.Durability.writeConcern()
	if err != nil {
		s.closeEmbedded()
		return nil, err
	}
	// Retryable writes and reads: a write whose connection broke in a
	// replica set's failover is sent again to the new primary, once, and
	// applied once (the server remembers it by its transaction number).
	opts := options.Client().ApplyURI(uri).SetTimeout(cmp.Or(cfg.Timeout, DefaultTimeout)).
		SetWriteConcern(wc).SetRetryWrites(true).SetRetryReads(true).SetMonitor(cfg.Monitor)
	if s.embedded != nil {
		// The driver's default pool, 100, is the size of FerretDB's SQLite
		// pool: a burst that filled it could deadlock FerretDB (gateway.go).
		opts.SetMaxPoolSize(uint64(s.embedded.slots))
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		s.closeEmbedded()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	s.client = client
	s.db = client.Database(cfg.Database)
	s.cases = s.coll(collCases)
	s.users = s.coll(collUsers)
	s.sessions = s.coll(collSessions)
	s.keys = s.coll(collKeys)
	s.audit = s.coll(collAudit)
	s.imports = s.coll(collImports)
	if err := s.Ping(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.detectCAS(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.createSchema(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.removeUnfinishedImports(ctx, time.Now().Add(-unfinishedAfter)); err != nil {
		_ = s.Close(context.Background())
		return nil, fmt.Errorf("store: remove unfinished imports: %w", err)
	}
	return s, nil
}

// EmbeddedURI is the loopback address of the embedded store, for clients
// of its own beside this one (a benchmark of the driver alone, mongosh);
// empty for a MongoDB.
func (s *Store) EmbeddedURI() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.uri
}

// Slots is how many writes at once the store serves best. The embedded
// store's SQLite takes one write at a time and makes a writer that finds it
// busy sleep and try again, up to 100 ms at a go, so more writers at once
// only lengthen the queue's tail; MongoDB serves many in parallel.
func (s *Store) Slots() int {
	if s.embedded != nil {
		return embeddedSlots
	}
	return 64
}

// embeddedSlots was measured with BenchmarkRespondentSaves: one gave the
// shortest tail at 8 and 64 clients, and no less throughput than 2, 4 or 8.
const embeddedSlots = 1

// Ping reports whether the store answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// Close disconnects and, for the embedded store, stops it once every
// acknowledged write is on disk (FerretDB closes SQLite as its Run returns).
func (s *Store) Close(ctx context.Context) error {
	err := s.client.Disconnect(ctx)
	s.closeEmbedded()
	return err
}

func (s *Store) closeEmbedded() {
	if s.embedded != nil {
		s.embedded.close()
		s.embedded = nil
	}
}

// translate turns driver errors into domain errors.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return survey.Errorf(survey.ENOTFOUND, "%s not found", what)
	case mongo.IsDuplicateKeyError(err):
		return &survey.Error{Code: survey.ECONFLICT, Message: what + " already exists", Err: err}
	case mongo.IsTimeout(err), mongo.IsNetworkError(err), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, mongo.ErrClientDisconnected), storeStopping(err):
		return &survey.Error{Code: survey.EUNAVAILABLE, Message: "the store did not answer; please try again", Err: err}
	default:
		return &survey.Error{Code: survey.EINTERNAL, Message: "store error", Err: err}
	}
}

// storeStopping reports FerretDB's answer to a command it was running when
// it was told to stop: an InternalError "context canceled". The command
// did not finish, and the next one may reach the store again (the drill saw
// a respondent get a 500 for it during a store restart).
func storeStopping(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Name == "InternalError" && strings.Contains(ce.Message, "context canceled")
}

// caseLocks serializes the writes to each case within this process. The
// embedded FerretDB applies an update by reading the document and writing it
// back whole, so two concurrent updates of one case could lose one; MongoDB
// itself needs no such lock, and holding it there costs nothing.
type caseLocks struct {
	mu    sync.Mutex
	locks map[string]*caseLock
}

type caseLock struct {
	sync.Mutex
	users int
}

func (l *caseLocks) lock(id string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*caseLock{}
	}
	cl := l.locks[id]
	if cl == nil {
		cl = &caseLock{}
		l.locks[id] = cl
	}
	cl.users++
	l.mu.Unlock()

	cl.Lock()
	return func() {
		cl.Unlock()
		l.mu.Lock()
		cl.users--
		if cl.users == 0 {
			delete(l.locks, id)
		}
		l.mu.Unlock()
	}
}
