// Package draw is the verifiable random choice at the heart of an expert
// draw. It is pure and deterministic: no database, no clock, no global
// state. Anyone holding a revealed seed and the recorded candidate lists
// can reimplement it from this documentation and check a committee.
//
// # Seed and commitment
//
// A draw uses one fresh 32-byte seed from crypto/rand (NewSeed). Before
// anything is chosen the audit log records Commitment(seed) =
// SHA-256(seed); the seed itself stays sealed until the session ends or a
// supervisor asks for it.
//
// # Candidate lists
//
// Each choice (a "round" of one quota) is made from a list of eligible
// expert ids sorted ascending, plus conflict pairs: two experts who may not
// sit on the same committee (declared relatives). ListHash commits to both;
// its canonical text form is, in UTF-8 with "\n" line ends:
//
//	evalroom-draw-list/v1
//	candidates <number of candidates>
//	<id>                  one line per candidate, ascending, decimal
//	conflicts <number of pairs>
//	<a> <b>               one line per pair, a < b, sorted by a then b
//
// and ListHash is the SHA-256 of that text.
//
// # Random stream
//
// Stream is a deterministic random bit generator: SHA-256 in counter mode.
// Block i (i = 0, 1, 2, …) is
//
//	SHA-256("evalroom-draw-stream/v1" || seed || uint32be(len(context)) || context || uint64be(i))
//
// and the stream is block 0, block 1, … concatenated. A uniform integer in
// [0, n) takes the next 8 bytes as a big-endian uint64 v; if v < 2^64 −
// (2^64 mod n) the result is v mod n, otherwise v is rejected and the next 8
// bytes are taken (rejection sampling, so there is no modulo bias). For
// n = 1 the result is 0 and no bytes are taken.
// math/rand is deliberately not used: its algorithms may change between Go
// versions and draws must replay for fifteen years.
//
// # Choice
//
// Choose walks a partial Fisher–Yates shuffle of the sorted list: for
// i = 0, 1, …, n−1 it draws j = i + Uniform(n − i), swaps positions i and j,
// and considers the candidate now at i. The candidate is skipped if it is
// already taken (chosen for the committee earlier) or conflicts with an
// expert already taken; otherwise it is chosen. The walk stops when k are
// chosen or the list is exhausted. Without conflicts every ordered k-subset
// is equally likely.
//
// The context of a round is Context(drawID, quotaID, round). The initial
// choice of a draw (round 0 of every quota) is made jointly by Committee:
// quotas in ascending quota id order, each with its own context, sharing the
// taken set and the conflict pairs, so the "relative of another member of
// the same committee" rule spans all venues. Later rounds (replacements)
// are single choices from lists that already exclude everyone drawn before.
package draw
