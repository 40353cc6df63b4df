package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
)

// apiSurvey is the questionnaire as the respondent API describes it: each
// matrix row is its own question.
type apiSurvey struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Pages []apiPage `json:"pages"`
}

type apiPage struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Questions []apiQuestion `json:"questions"`
}

type apiQuestion struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Text     string `json:"text"`
	Required bool   `json:"required"`
	// The fields are always present, null or empty where they do not apply.
	Options   []instrument.Option `json:"options"`
	Min       *float64            `json:"min"`
	Max       *float64            `json:"max"`
	Integer   bool                `json:"integer,omitempty"`
	MaxLength int                 `json:"max_length,omitempty"`
	ShowIf    string              `json:"show_if"`
	Special   []string            `json:"special,omitempty"` // "dont_know", "prefer_not_to_say"
	Group     string              `json:"group,omitempty"`   // a matrix row: the matrix's id
	GroupText string              `json:"group_text,omitempty"`
}

func describeSurvey(in *instrument.Instrument) apiSurvey {
	out := apiSurvey{ID: in.ID, Title: in.Title}
	for i, p := range in.Pages {
		ap := apiPage{ID: p.ID, Title: p.Title, Questions: []apiQuestion{}}
		for _, it := range in.PageItems(i) {
			q := apiQuestion{ID: it.ID, Type: it.Type, Text: it.Text, Required: it.Required, Options: orEmpty(it.Options),
				Min: it.Min, Max: it.Max, Integer: it.Integer, ShowIf: it.ShowIf, Group: it.Group, GroupText: it.GroupText}
			if it.Type == instrument.Text || it.Type == instrument.Textarea {
				q.MaxLength = it.MaxLength
			}
			if it.DontKnow {
				q.Special = append(q.Special, instrument.DontKnow)
			}
			if it.PreferNot {
				q.Special = append(q.Special, instrument.PreferNotToSay)
			}
			ap.Questions = append(ap.Questions, q)
		}
		out.Pages = append(out.Pages, ap)
	}
	return out
}

type respondState struct {
	Survey  apiSurvey          `json:"survey"`
	Answers instrument.Answers `json:"answers"`
	Status  string             `json:"status"`
	Open    bool               `json:"open"` // the field period is on
	// FieldPeriod is when answers are accepted, as a PI last set it.
	FieldPeriod struct {
		Opens       time.Time  `json:"opens"`
		Closes      time.Time  `json:"closes"`
		PausedUntil *time.Time `json:"paused_until,omitempty"`
	} `json:"field_period"`
}

// handleRespondGet answers GET /api/v1/respond/{token}.
func (s *Server) handleRespondGet(c echo.Context) error {
	v, err := s.Respond.Open(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	st := respondState{Survey: describeSurvey(s.Instrument), Answers: v.Answers, Status: v.Case.Status, Open: v.Open}
	st.FieldPeriod.Opens, st.FieldPeriod.Closes = v.Period.Opens, v.Period.Closes
	if v.Period.PausedAt(s.Now()) {
		st.FieldPeriod.PausedUntil = v.Period.PausedUntil
	}
	return c.JSON(http.StatusOK, st)
}

// handleRespondAnswers answers PUT /api/v1/respond/{token}/answers with
// {"answers": {id: value}}; null clears an answer. All or nothing.
func (s *Server) handleRespondAnswers(c echo.Context) error {
	var body struct {
		Answers map[string]json.RawMessage `json:"answers"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Answers == nil {
		return survey.FieldErrors(`The body needs an "answers" object`, map[string]string{"answers": "required"})
	}
	set, clear, err := s.Instrument.DecodeJSON(body.Answers)
	if err != nil {
		return err
	}
	v, err := s.Respond.Save(c.Request().Context(), c.Param("token"), respond.Save{Set: set, Clear: clear, Device: deviceClass(c)})
	if err != nil {
		return err
	}
	// An answer the other answers make not apply is not kept, and the
	// answer says so rather than dropping it without a word.
	notKept := map[string]string{}
	for _, id := range v.NotKept {
		it, _ := s.Instrument.Item(id)
		notKept[id] = "not kept: this question applies only if " + s.conditionWords(it, v.Answers)
	}
	return c.JSON(http.StatusOK, struct {
		Saved   int               `json:"saved"`
		NotKept map[string]string `json:"not_kept,omitempty"`
	}{len(set) + len(clear) - len(notKept), notKept})
}

// handleRespondSubmit answers POST /api/v1/respond/{token}/submit.
func (s *Server) handleRespondSubmit(c echo.Context) error {
	v, err := s.Respond.Submit(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": v.Case.Status})
}

// handleRespondOptOut answers POST /api/v1/respond/{token}/optout.
func (s *Server) handleRespondOptOut(c echo.Context) error {
	v, err := s.Respond.OptOut(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": v.Case.Status})
}

// decodeJSON reads exactly one JSON object into v, refusing unknown fields
// and trailing data, and says what was wrong.
func decodeJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case tooLarge(err):
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		case errors.Is(err, io.EOF):
			return survey.Errorf(survey.EINVALID, "The body is empty; send a JSON object")
		case errors.As(err, &syntax):
			return survey.Errorf(survey.EINVALID, "The body is not valid JSON (at byte %d)", syntax.Offset)
		case errors.As(err, &typ):
			return survey.Errorf(survey.EINVALID, "The body's %q has the wrong type: want %s", typ.Field, typ.Type)
		default:
			// A read error names addresses and timeouts (a stalled client
			// gets "read tcp A->B: i/o timeout"): logged, never shown.
			return &survey.Error{Code: survey.EINVALID, Message: "The body could not be read; please send it again.", Err: err}
		}
	}
	if dec.More() {
		return survey.Errorf(survey.EINVALID, "The body has data after the JSON object")
	}
	return nil
}

// deviceClass is the paradata's coarse device class from the User-Agent.
func deviceClass(c echo.Context) string {
	ua := c.Request().UserAgent()
	for _, m := range []string{"Mobi", "Android", "iPhone", "iPad"} {
		if strings.Contains(ua, m) {
			return "mobile"
		}
	}
	return "desktop"
}

// tooLarge reports whether reading a body failed on its size limit, which
// Echo's limit reports as a 413 HTTPError from the reader.
func tooLarge(err error) bool {
	var he *echo.HTTPError
	var mb *http.MaxBytesError
	return errors.As(err, &mb) || (errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge)
}
