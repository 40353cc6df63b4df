package category

import (
	"slices"
	"testing"
)

func TestLevels(t *testing.T) {
	tests := []struct {
		name   string
		labels []string
		want   []string
	}{
		{"numbers in numeric order", []string{"10", "2", "", "1", "2"}, []string{"1", "2", "10"}},
		{"negative and decimal numbers", []string{"0.5", "-1", "1e1"}, []string{"-1", "0.5", "1e1"}},
		{"text in lexicographic order", []string{"Police", "Finance", "Mayor"}, []string{"Finance", "Mayor", "Police"}},
		{"one word makes it text", []string{"10", "2", "x"}, []string{"10", "2", "x"}},
		{"equal numbers, different labels", []string{"1.0", "1"}, []string{"1", "1.0"}},
		{"all missing", []string{"", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Levels(tt.labels); !slices.Equal(got, tt.want) {
				t.Errorf("Levels(%q) = %q, want %q", tt.labels, got, tt.want)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	got := Index([]string{"b", "", "a", "c"}, []string{"a", "b"})
	want := []int{1, -1, 0, -1}
	if !slices.Equal(got, want) {
		t.Errorf("Index = %v, want %v", got, want)
	}
}
