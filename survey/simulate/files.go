package simulate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/frame"
)

// The files WriteDir writes.
const (
	FrameFile     = "frame.csv"     // the sample frame, as a frame import reads it
	ResponsesFile = "responses.csv" // every case at the end, as the export writes it
	TruthFile     = "truth.json"    // every planted parameter, and the dispositions that came of them
)

// WriteDir writes the simulated field period into dir as files. The cases
// stream through, one city at a time: memory does not grow with their
// number. The same options give the same files, byte for byte.
func WriteDir(o Options, dir string) (*Summary, error) {
	o = o.withStart(false, time.Time{})
	if err := o.Check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := newPlan(o)
	frameOut, err := create(filepath.Join(dir, FrameFile))
	if err != nil {
		return nil, err
	}
	defer frameOut.close()
	responsesOut, err := create(filepath.Join(dir, ResponsesFile))
	if err != nil {
		return nil, err
	}
	defer responsesOut.close()
	sum, err := p.writeCases(frameOut.w, responsesOut.w)
	if err = errors.Join(err, frameOut.close(), responsesOut.close()); err != nil {
		return nil, err
	}
	return sum, writeTruth(filepath.Join(dir, TruthFile), p, sum)
}

// writeCases writes every case's frame row and export row.
func (p *plan) writeCases(frameW, responsesW *bufio.Writer) (*Summary, error) {
	fw, err := frame.NewWriter(frameW, nil)
	if err != nil {
		return nil, err
	}
	ew, err := export.NewWriter(responsesW, p.in, nil, export.Options{Thresholds: aapor.DefaultThresholds})
	if err != nil {
		return nil, err
	}
	bar := newBar(p.o, p.cases(), "simulating the field period")
	sum := newSummary(p.o)
	err = p.field(func(c *survey.Case) error {
		sum.add(c, p.in)
		_ = bar.Add(1)
		return errors.Join(fw.Write(c.Frame), ew.Write(c))
	})
	_ = bar.Finish()
	return sum, errors.Join(err, fw.Flush(), ew.Flush())
}

// Field hands fn every case as the field period leaves it, without a
// store: the cases IntoStore leaves, but for their ids (case0000000, ...),
// tokens and audit entries. A zero o.Start is 8:00 on the questionnaire's
// first day.
func Field(o Options, fn func(*survey.Case) error) error {
	o = o.withStart(false, time.Time{})
	if err := o.Check(); err != nil {
		return err
	}
	return newPlan(o).field(fn)
}

func (p *plan) field(fn func(*survey.Case) error) error {
	return p.each(func(s *story) error { return fn(p.replay(s, fmt.Sprintf("case%07d", s.Index))) })
}

// writeTruth writes the planted parameters with the dispositions they gave.
func writeTruth(path string, p *plan, sum *Summary) error {
	doc := struct {
		*Truth
		Realized *Summary `json:"realized"`
	}{p.truth(), sum}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// file is an output file behind a buffer; close flushes and closes it once.
type file struct {
	f *os.File
	w *bufio.Writer
}

func create(path string) (*file, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &file{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (f *file) close() error {
	if f.f == nil {
		return nil
	}
	err := errors.Join(f.w.Flush(), f.f.Close())
	f.f = nil
	return err
}

// newBar is a progress bar on o.Progress, or a silent one.
func newBar(o Options, total int, what string) *progressbar.ProgressBar {
	if o.Progress == nil {
		return progressbar.DefaultSilent(int64(total))
	}
	return progressbar.NewOptions64(int64(total), progressbar.OptionSetWriter(o.Progress), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("cases"),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.Progress) }))
}
