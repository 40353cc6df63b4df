package server

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/token"
)

// demoFrame is a handful of made-up managers, one per department.
var demoFrame = []survey.Frame{
	{Email: "mayor.office@demo.example", Name: "Avery Demo", Title: "Chief of Staff", Department: "Mayor's Office", City: "Tempe", State: "AZ", Population: 180587, FormOfGovernment: "council-manager"},
	{Email: "community.dev@demo.example", Name: "Blair Demo", Title: "Director", Department: "Community Development", City: "Bend", State: "OR", Population: 99178, FormOfGovernment: "council-manager"},
	{Email: "parks@demo.example", Name: "Casey Demo", Title: "Parks Director", Department: "Parks and Recreation", City: "Ames", State: "IA", Population: 66427, FormOfGovernment: "council-manager"},
	{Email: "police@demo.example", Name: "Devon Demo", Title: "Chief of Police", Department: "Police", City: "Scranton", State: "PA", Population: 76328, FormOfGovernment: "mayor-council"},
	{Email: "finance@demo.example", Name: "Emery Demo", Title: "Finance Director", Department: "Finance", City: "Burlington", State: "VT", Population: 44743, FormOfGovernment: "mayor-council"},
}

// CreateDemoCases makes sure the demo cases exist and returns their links.
// Their tokens derive from the secret, so every start with the same data
// directory prints the same links and answers given earlier are kept.
func (s *Server) CreateDemoCases(ctx context.Context, secret []byte) ([]string, error) {
	hasher := s.Respond.Hasher
	var links []string
	for i, f := range demoFrame {
		tok := base64.RawURLEncoding.EncodeToString(token.Derive(secret, fmt.Sprintf("demo-%d", i))[:24])
		now := s.Now()
		c := &survey.Case{ID: hasher.CaseID(tok), Survey: s.Instrument.ID, Frame: f, Status: survey.StatusNew, CreatedAt: now, UpdatedAt: now,
			SealedToken: s.sealer.Seal(tok)}
		if err := s.Store.InsertCase(ctx, c); err != nil && survey.ErrorCode(err) != survey.ECONFLICT {
			return nil, err
		}
		links = append(links, fmt.Sprintf("%s/s/%s  (%s, %s)", s.BaseURL, tok, f.Department, f.City))
	}
	return links, nil
}
