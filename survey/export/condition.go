package export

import (
	"slices"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// columnCondition rewrites an item's show_if in the export's terms, so the
// codebook's skip logic names columns of the file and the codes in them:
// "3 in social_media_use" is "social_media_use_3 == 1", its negation
// "social_media_use_3 == 0"; "x == nil" (unanswered or hidden) is
// "x in [-7, -6, -5]"; "x == "dont_know"" is "x == -8". A form it does not
// know ("len(social_media_use ?? []) >= 2") keeps the question's id, whose
// columns share that id as their question in the codebook.
func columnCondition(in *instrument.Instrument, src string) string {
	if src == "" {
		return ""
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return src // the instrument compiled it at load; kept as written all the same
	}
	rw := &rewriter{in: in, fromIn: map[ast.Node]bool{}}
	ast.Walk(&tree.Node, rw)
	return tree.Node.String()
}

// rewriter patches the tree bottom up (ast.Walk visits children first);
// fromIn remembers the comparisons that were "code in multi", so that their
// negation can be rewritten too.
type rewriter struct {
	in     *instrument.Instrument
	fromIn map[ast.Node]bool
}

func (rw *rewriter) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.UnaryNode:
		if b, ok := n.Node.(*ast.BinaryNode); ok && rw.fromIn[b] && (n.Operator == "!" || n.Operator == "not") {
			ast.Patch(node, &ast.BinaryNode{Operator: "==", Left: b.Left, Right: &ast.IntegerNode{Value: 0}})
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "in":
			code, isCode := integer(n.Left)
			if it, ok := rw.multi(n.Right); ok && isCode && slices.ContainsFunc(it.Options, func(o instrument.Option) bool { return o.Value == code }) {
				cmp := &ast.BinaryNode{Operator: "==", Left: &ast.IdentifierNode{Value: optionColumn(it.ID, code)}, Right: &ast.IntegerNode{Value: 1}}
				ast.Patch(node, cmp)
				rw.fromIn[cmp] = true
			}
		case "==", "!=":
			rw.comparison(node, n)
		}
	}
}

// comparison rewrites item == nil and item == "dont_know" (either way round,
// == or !=).
func (rw *rewriter) comparison(node *ast.Node, n *ast.BinaryNode) {
	id, other := n.Left, n.Right
	if _, ok := id.(*ast.IdentifierNode); !ok {
		id, other = other, id
	}
	ident, ok := id.(*ast.IdentifierNode)
	if !ok {
		return
	}
	it, ok := rw.in.Item(ident.Value)
	if !ok {
		return
	}
	col := &ast.IdentifierNode{Value: it.ID}
	if it.Type == instrument.Multi {
		col.Value = optionColumn(it.ID, it.Options[0].Value) // every column of a multi holds the same missing code
	}
	switch o := other.(type) {
	case *ast.NilNode:
		codes := &ast.ArrayNode{Nodes: []ast.Node{&ast.IntegerNode{Value: instrument.NotReachedCode},
			&ast.IntegerNode{Value: instrument.NotAskedCode}, &ast.IntegerNode{Value: instrument.NotAnsweredCode}}}
		var cond ast.Node = &ast.BinaryNode{Operator: "in", Left: col, Right: codes}
		if n.Operator == "!=" {
			cond = &ast.UnaryNode{Operator: "not", Node: cond}
		}
		ast.Patch(node, cond)
	case *ast.StringNode:
		if code, ok := specialCode(it, o.Value); ok && it.Type != instrument.Text && it.Type != instrument.Textarea {
			ast.Patch(node, &ast.BinaryNode{Operator: n.Operator, Left: col, Right: &ast.IntegerNode{Value: code}})
		}
	}
}

// multi is the multiple-choice item that n names.
func (rw *rewriter) multi(n ast.Node) (instrument.Item, bool) {
	ident, ok := n.(*ast.IdentifierNode)
	if !ok {
		return instrument.Item{}, false
	}
	it, ok := rw.in.Item(ident.Value)
	return it, ok && it.Type == instrument.Multi
}

// integer is the value of an integer literal, also a negative one.
func integer(n ast.Node) (int, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return n.Value, true
	case *ast.UnaryNode:
		if v, ok := integer(n.Node); ok && n.Operator == "-" {
			return -v, true
		}
	}
	return 0, false
}

// optionColumn names a multiple choice's column for one option; a negative
// code cannot appear in a column name, so it is spelled out.
func optionColumn(id string, code int) string {
	if code < 0 {
		return id + "_m" + strconv.Itoa(-code)
	}
	return id + "_" + strconv.Itoa(code)
}
