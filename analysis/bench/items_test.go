package bench

import (
	"bytes"
	"strings"
	"testing"
)

// The same seed writes the same file: a header and Rows rows of Items
// cells, each 1–5 or NA.
func TestWriteItems(t *testing.T) {
	d := Items{Rows: 200, Items: 7, Factors: 2, Missing: .05, Seed: 3}
	var a, b bytes.Buffer
	if err := WriteItems(&a, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteItems(&b, d); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("the same seed wrote two files")
	}
	lines := strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n")
	if len(lines) != d.Rows+1 || lines[0] != "q01,q02,q03,q04,q05,q06,q07" {
		t.Fatalf("%d lines, header %q", len(lines), lines[0])
	}
	missing := 0
	for _, line := range lines[1:] {
		cells := strings.Split(line, ",")
		if len(cells) != d.Items {
			t.Fatalf("row %q has %d cells", line, len(cells))
		}
		for _, c := range cells {
			switch c {
			case "NA":
				missing++
			case "1", "2", "3", "4", "5":
			default:
				t.Fatalf("cell %q", c)
			}
		}
	}
	if missing == 0 {
		t.Error("no cell missing at 5%")
	}
}
