package store

import (
	"errors"
	"math"
	"strconv"
)

// Errors of Incr, in Redis's words.
var (
	// ErrNotInteger reports a value that is not a 64-bit decimal integer.
	ErrNotInteger = errors.New("store: value is not an integer or out of range")
	// ErrOverflow reports an increment past the int64 range.
	ErrOverflow = errors.New("store: increment or decrement would overflow")
)

// Incr adds by to the integer stored at key, which counts as 0 if key
// does not exist, stores the sum as decimal text and returns it. The
// value must be an integer written as Redis writes one; otherwise, or if
// the sum would overflow, the value stays as it was and Incr returns
// ErrNotInteger or ErrOverflow.
func (s *Store) Incr(key []byte, by int64) (int64, error) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[string(key)]
	var n int64
	if ok {
		var valid bool
		if n, valid = parseInt(e.val); !valid {
			return 0, ErrNotInteger
		}
	}
	if by > 0 && n > math.MaxInt64-by || by < 0 && n < math.MinInt64-by {
		return 0, ErrOverflow
	}
	n += by
	if ok {
		e.val = strconv.AppendInt(e.val[:0], n, 10)
	} else {
		sh.m[string(key)] = &entry{val: strconv.AppendInt(make([]byte, 0, 8), n, 10)}
	}
	return n, nil
}

// parseInt reads an int64 the way Redis's string2ll does (util.c): an
// optional '-', digits with no leading zero, "0" alone, nothing else.
// strconv.ParseInt is laxer ("+1", "007") and allocates its error.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		u = u*10 + uint64(ch-'0') // 19 digits cannot overflow a uint64
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	case neg && u <= -math.MinInt64:
		return -int64(u), true
	}
	return 0, false
}
