package server

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
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

// demoPIEmail is the demo's PI account, made by --demo when the store has
// no user, so that a newcomer can try the admin side too.
const demoPIEmail = "pi@demo.example"

// CreateDemoPI makes sure a PI exists for the demo and returns how to log in.
// When the store has no user, it creates pi@demo.example with a password
// derived from the secret (stable across restarts, like the demo links).
// When other users exist, it makes none and says so.
func (s *Server) CreateDemoPI(ctx context.Context, secret []byte) (string, error) {
	password := base64.RawURLEncoding.EncodeToString(token.Derive(secret, "demo-pi")[:12])
	if _, err := s.Store.UserByEmail(ctx, demoPIEmail); err == nil {
		return fmt.Sprintf("%s/admin  (email %s, password %s)", s.BaseURL, demoPIEmail, password), nil
	}
	n, err := s.Store.CountUsers(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return s.BaseURL + "/admin  (log in with your account)", nil
	}
	if _, err := s.Accounts.Create(ctx, account.Actor{Email: "demo", IP: "local"}, demoPIEmail, password, account.RolePI); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/admin  (email %s, password %s)", s.BaseURL, demoPIEmail, password), nil
}
