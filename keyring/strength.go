package keyring

import (
	"math"
	"strings"
)

// StrongBits is the estimated entropy, in bits, from which a key rates "strong".
const StrongBits = 128

// MaxRatedLen is the number of leading characters of a key that EntropyBits examines; a longer
// key is rated on them (its entropy is at least theirs).
const MaxRatedLen = 1024

// minRun is the shortest sequence or repeat EntropyBits counts as structure: shorter ones occur
// by chance in random keys too often to count against them.
const minRun = 5

// Strength rates a key: "strong" when it has at least MinKeyLen characters and EntropyBits
// estimates at least StrongBits bits, else "weak".
func Strength(k string) string {
	if len(k) >= MinKeyLen && EntropyBits(k) >= StrongBits {
		return "strong"
	}
	return "weak"
}

// EntropyBits estimates the entropy of a key in bits: the length of the shortest description
// of the key as a series of
//
//   - single characters, each costing log2 of the key's alphabet: 4 bits when the key is all
//     hex digits, 6 when all base64 characters, 6.5 otherwise, and log2 of the number of
//     distinct characters when there are fewer than 10;
//   - sequences of at least 5 characters with a constant step (abcde, 97531, acegi) or along a
//     row of a QWERTY keyboard (qwert, lkjhg), each costing its first character plus the kind
//     of sequence and its length;
//   - repeats of at least 5 characters of what came before (abcdabcd…, a period, a copied
//     block), each costing where it starts and its length, as in LZ77 compression.
//
// Random keys have almost no such structure and rate about length × bits per character (a
// `kernia secret` key: about 256 bits); repetitive and sequential ones rate low ("abcd"×16:
// about 25 bits; "0123456789abcdef"×4: about 35). Only the first MaxRatedLen characters are
// examined.
func EntropyBits(k string) int {
	if len(k) > MaxRatedLen {
		k = k[:MaxRatedLen]
	}
	n := len(k)
	if n == 0 {
		return 0
	}
	perChar := alphabetBits(k)
	seq := sequenceRuns(k)
	rep := repeatRuns(k)
	// cost[i]: the cheapest description of k[:i].
	cost := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = math.Inf(1)
	}
	for i := range n {
		relax := func(j int, c float64) {
			if c < cost[j] {
				cost[j] = c
			}
		}
		relax(i+1, cost[i]+perChar)
		// A sequence or repeat costs 1 bit to say which kind of token it is, plus its own.
		for l := minRun; l <= seq[i]; l++ {
			relax(i+l, cost[i]+1+perChar+math.Log2(float64(len(sequenceKinds)))+math.Log2(float64(l)))
		}
		for l := minRun; l <= rep[i]; l++ {
			relax(i+l, cost[i]+1+math.Log2(float64(max(i, 1)))+math.Log2(float64(l)))
		}
	}
	return int(cost[n])
}

// alphabetBits is the cost of one character of k: log2 of the alphabet its characters come
// from, lowered to log2 of the number of distinct characters when they are fewer than 10.
func alphabetBits(k string) float64 {
	distinct := map[rune]bool{}
	hexOnly, b64 := true, true
	for _, c := range k {
		distinct[c] = true
		isHex := c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		isB64 := isHex || c >= 'g' && c <= 'z' || c >= 'G' && c <= 'Z' || strings.ContainsRune("+/-_=", c)
		hexOnly = hexOnly && isHex
		b64 = b64 && isB64
	}
	perChar := 6.5 // printable ASCII
	switch {
	case hexOnly:
		perChar = 4
	case b64:
		perChar = 6
	}
	if d := len(distinct); d < 10 {
		perChar = min(perChar, math.Log2(float64(max(d, 2))))
	}
	return perChar
}

// keyboardRows are the rows of a QWERTY keyboard, unshifted and shifted.
var keyboardRows = []string{
	"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
	"~!@#$%^&*()_+", "QWERTYUIOP{}|", "ASDFGHJKL:\"", "ZXCVBNM<>?",
}

// keyboard maps a character to its row and column in keyboardRows.
var keyboard = func() map[byte][2]int {
	m := map[byte][2]int{}
	for r, row := range keyboardRows {
		for c := 0; c < len(row); c++ {
			m[row[c]] = [2]int{r, c}
		}
	}
	return m
}()

// sequenceKinds are the steps of a sequence: in character codes (±1, ±2, ±3) and along a
// keyboard row (k±1).
var sequenceKinds = []struct {
	step     int
	keyboard bool
}{{1, false}, {-1, false}, {2, false}, {-2, false}, {3, false}, {-3, false}, {1, true}, {-1, true}}

// sequenceRuns returns, for each position of k, the length of the longest sequence starting
// there.
func sequenceRuns(k string) []int {
	runs := make([]int, len(k))
	for _, kind := range sequenceKinds {
		// run[i]: the length of this kind's sequence starting at i, computed from the end.
		next := 1
		for i := len(k) - 1; i >= 0; i-- {
			if i < len(k)-1 && follows(k[i], k[i+1], kind.step, kind.keyboard) {
				next++
			} else {
				next = 1
			}
			runs[i] = max(runs[i], next)
		}
	}
	return runs
}

// follows reports whether b comes step after a: in character codes, or along a keyboard row.
func follows(a, b byte, step int, onKeyboard bool) bool {
	if !onKeyboard {
		return int(b)-int(a) == step
	}
	pa, okA := keyboard[a]
	pb, okB := keyboard[b]
	return okA && okB && pa[0] == pb[0] && pb[1]-pa[1] == step
}

// repeatRuns returns, for each position i of k, the length of the longest prefix of k[i:] that
// also starts at an earlier position (the copy may overlap i, as in LZ77).
func repeatRuns(k string) []int {
	n := len(k)
	runs := make([]int, n)
	// lcp[p] holds, while row i is computed, the length of the common prefix of k[i:] and
	// k[p:]; next holds row i+1.
	lcp, next := make([]int, n+1), make([]int, n+1)
	for i := n - 1; i >= 0; i-- {
		for p := range i {
			if k[i] == k[p] {
				lcp[p] = next[p+1] + 1
			} else {
				lcp[p] = 0
			}
			runs[i] = max(runs[i], lcp[p])
		}
		lcp, next = next, lcp
	}
	return runs
}
