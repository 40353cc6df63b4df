package results

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// scoresPerChunk is how many cases' scores one stored chunk holds: well
// under the store's 16 MiB document limit whatever the number of scales.
var scoresPerChunk = 5000

// compute streams the cases, builds the table and fills r. With too few
// usable cases r ends insufficient_data; an error fails the run.
func (s *Service) compute(ctx context.Context, r *Result) error {
	in := s.Instrument
	t, cols := newTable(in)
	err := s.Store.EachCase(ctx, in.ID, func(c *survey.Case) error {
		t.add(c, in, cols, s.Thresholds)
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("reading the cases: %w", err)
	}
	t.sortByID()
	r.Cases, r.N = t.read, len(t.ids)
	r.Options = optionsOf(in)
	r.Options.Thresholds = s.Thresholds
	r.Weighting, _ = t.weigh(in)
	r.InputHash = inputHash(t, r.Options, r.Questionnaire.Hash)
	if r.N < r.Options.MinCases {
		r.Status = StatusInsufficient
		r.Reason = fmt.Sprintf("%d usable cases (complete or partial) of %d read; the analysis needs at least %d (analysis.min_cases)",
			r.N, r.Cases, r.Options.MinCases)
		return nil
	}
	names, scores := compute(in, t, r)
	if err := ctx.Err(); err != nil {
		return err
	}
	if reason := nothingEstimated(in.Analysis, r); reason != "" {
		r.Status, r.Reason = StatusInsufficient, reason
		r.EFA, r.Factors, r.Reliability, r.Models, r.Descriptives = nil, nil, nil, nil, nil
		return nil
	}
	if err := s.changes(ctx, r); err != nil {
		return fmt.Errorf("comparing with the latest result: %w", err)
	}
	if err := s.storeScores(ctx, r.ID, t.ids, names, scores); err != nil {
		return fmt.Errorf("storing the scores: %w", err)
	}
	r.Status = StatusOK
	return nil
}

// nothingEstimated says why a run that had the cases still has nothing to
// show — its EFA and every model failed, as with answers that do not vary
// — so that it is not an ok result replacing one that had; "" otherwise.
func nothingEstimated(a *instrument.Analysis, r *Result) string {
	asked := a.EFA != nil || len(a.Models) > 0
	if !asked || r.EFA != nil || len(r.Models) > 0 {
		return ""
	}
	return "the factor analysis and the models could not be estimated from these data: " + strings.Join(r.Warnings, "; ")
}

// optionsOf states the run's options, defaults filled in.
func optionsOf(in *instrument.Instrument) Options {
	a := in.Analysis
	o := Options{}
	if a.EFA != nil {
		o = efaOptions(a.EFA)
	}
	o.MinCases = a.MinCases
	if o.MinCases == 0 {
		o.MinCases = instrument.DefaultMinCases
	}
	for _, d := range usedDispositions {
		o.Dispositions = append(o.Dispositions, string(d))
	}
	o.Level = defaultLevel
	return o
}

// questionnaireOf identifies the questionnaire and hashes its analysis
// section as loaded.
func questionnaireOf(in *instrument.Instrument) Questionnaire {
	b, _ := json.Marshal(in.Analysis) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return Questionnaire{ID: in.ID, Version: in.Version, Hash: hex.EncodeToString(sum[:])}
}

// inputHash hashes every cell of the table in row order with the row's
// weight, the options and the analysis section: the same hash means the
// same input.
func inputHash(t *table, o Options, section string) string {
	h := sha256.New()
	opts, _ := json.Marshal(o)
	h.Write(opts)
	h.Write([]byte(section))
	var buf [8]byte
	numNames, catNames := sortedKeys(t.num), sortedKeys(t.cat)
	for i, id := range t.ids {
		fmt.Fprintf(h, "\x00%s", id)
		for _, name := range numNames {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(t.num[name][i]))
			h.Write(buf[:])
		}
		for _, name := range catNames {
			fmt.Fprintf(h, "\x00%s", t.cat[name][i])
		}
		if t.weight != nil {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(t.weight[i]))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// storeScores writes the per-case scale and factor scores as CSV chunks.
func (s *Service) storeScores(ctx context.Context, id string, ids, names []string, scores map[string][]float64) error {
	header := append([]string{"case_id"}, names...)
	for chunk, start := 0, 0; start < len(ids) || chunk == 0; chunk, start = chunk+1, start+scoresPerChunk {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if chunk == 0 {
			w.Write(header)
		}
		for i := start; i < min(start+scoresPerChunk, len(ids)); i++ {
			row := []string{ids[i]}
			for _, name := range names {
				row = append(row, FormatNumber(scores[name][i]))
			}
			w.Write(row)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		if err := s.Store.PutScores(ctx, id, chunk, buf.String()); err != nil {
			return err
		}
	}
	return nil
}

// FormatNumber writes a number for a CSV cell: empty when undefined,
// otherwise the shortest form that reads back exactly.
func FormatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
