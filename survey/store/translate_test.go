package store

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/canvass-survey/canvass/survey"
)

// A command FerretDB was running as it stopped is worth trying again (503),
// not an internal error (500); other internal errors stay internal.
func TestTranslateStoreStopping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{mongo.CommandError{Code: 1, Name: "InternalError", Message: "[pool.go:211 pool.(*Pool).Acquire] context canceled after delay"}, survey.EUNAVAILABLE},
		{mongo.CommandError{Code: 1, Name: "InternalError", Message: "something else"}, survey.EINTERNAL},
		{errors.New("plain"), survey.EINTERNAL},
	} {
		if got := survey.ErrorCode(translate(tc.err, "case")); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
}
