package server

import (
	"strconv"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// validAnswer is an answer the item accepts, in JSON's terms.
func validAnswer(it instrument.Item) any {
	switch it.Type {
	case instrument.Single, instrument.Dropdown, instrument.Matrix:
		return it.Options[len(it.Options)-1].Value
	case instrument.Multi:
		for _, o := range it.Options {
			if !o.Exclusive {
				return []int{o.Value}
			}
		}
	case instrument.Number:
		if it.Min != nil {
			return *it.Min + 1
		}
		return 1
	}
	return "An answer to " + it.ID
}

// formAnswer is validAnswer as an HTML form posts it.
func formAnswer(it instrument.Item) []string {
	switch v := validAnswer(it).(type) {
	case int:
		return []string{strconv.Itoa(v)}
	case []int:
		return []string{strconv.Itoa(v[0])}
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case string:
		return []string{v}
	}
	return nil
}
