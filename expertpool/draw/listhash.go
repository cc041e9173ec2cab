package draw

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// ErrUnsorted is returned for a candidate list that is not strictly
// ascending (unsorted or with duplicates).
var ErrUnsorted = errors.New("draw: candidates must be strictly ascending")

// Pair is a conflict: two experts who may not sit on the same committee.
// A normalised pair has A < B.
type Pair struct {
	A int64 `json:"a"`
	B int64 `json:"b"`
}

// NormalizePairs returns pairs with A < B, sorted by A then B, without
// duplicates or self-pairs. The input is not modified.
func NormalizePairs(pairs []Pair) []Pair {
	out := make([]Pair, 0, len(pairs))
	for _, p := range pairs {
		switch {
		case p.A == p.B:
			continue
		case p.A > p.B:
			p.A, p.B = p.B, p.A
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y Pair) int {
		if x.A != y.A {
			return cmp.Compare(x.A, y.A)
		}
		return cmp.Compare(x.B, y.B)
	})
	return slices.Compact(out)
}

// FlattenPairs lays pairs out as a1, b1, a2, b2, … (how they are stored).
func FlattenPairs(pairs []Pair) []int64 {
	out := make([]int64, 0, 2*len(pairs))
	for _, p := range pairs {
		out = append(out, p.A, p.B)
	}
	return out
}

// UnflattenPairs is the inverse of FlattenPairs; it fails on an odd length.
func UnflattenPairs(flat []int64) ([]Pair, error) {
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("draw: %d conflict ids do not make pairs", len(flat))
	}
	out := make([]Pair, 0, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		out = append(out, Pair{A: flat[i], B: flat[i+1]})
	}
	return out, nil
}

// CheckSorted returns ErrUnsorted unless ids is strictly ascending.
func CheckSorted(ids []int64) error {
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			return fmt.Errorf("%w: %d after %d", ErrUnsorted, ids[i], ids[i-1])
		}
	}
	return nil
}

// ListText returns the canonical text form of a candidate list and its
// conflicts (see the package documentation). Pairs are normalised first.
func ListText(candidates []int64, conflicts []Pair) ([]byte, error) {
	if err := CheckSorted(candidates); err != nil {
		return nil, err
	}
	pairs := NormalizePairs(conflicts)
	b := make([]byte, 0, 32+12*len(candidates)+24*len(pairs))
	b = append(b, "evalroom-draw-list/v1\ncandidates "...)
	b = strconv.AppendInt(b, int64(len(candidates)), 10)
	b = append(b, '\n')
	for _, id := range candidates {
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\n')
	}
	b = append(b, "conflicts "...)
	b = strconv.AppendInt(b, int64(len(pairs)), 10)
	b = append(b, '\n')
	for _, p := range pairs {
		b = strconv.AppendInt(b, p.A, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, p.B, 10)
		b = append(b, '\n')
	}
	return b, nil
}

// ListHash returns SHA-256 of ListText(candidates, conflicts).
func ListHash(candidates []int64, conflicts []Pair) ([]byte, error) {
	text, err := ListText(candidates, conflicts)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(text)
	return sum[:], nil
}
