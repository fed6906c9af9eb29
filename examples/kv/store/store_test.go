package store

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"testing"
)

// get returns key's value as a string, and whether it exists.
func get(s *Store, key string) (string, bool) {
	v, ok := s.Get(nil, []byte(key), func(dst, val []byte) []byte { return append(dst, val...) })
	return string(v), ok
}

func TestSetGetDel(t *testing.T) {
	s := New()
	if _, ok := get(s, "k"); ok {
		t.Fatal("empty store has k")
	}
	val := []byte("v1")
	s.Set([]byte("k"), val)
	val[0] = 'X' // the store must have copied it
	if v, ok := get(s, "k"); !ok || v != "v1" {
		t.Fatalf("after Set: %q %v", v, ok)
	}
	s.Set([]byte("k"), []byte("a much longer second value"))
	s.Set([]byte("empty"), nil)
	if v, _ := get(s, "k"); v != "a much longer second value" {
		t.Fatalf("after overwrite: %q", v)
	}
	if v, ok := get(s, "empty"); !ok || v != "" {
		t.Fatalf("empty value: %q %v", v, ok)
	}
	if n := s.Len(); n != 2 {
		t.Fatalf("Len() = %d, want 2", n)
	}
	if !s.Del([]byte("k")) || s.Del([]byte("k")) {
		t.Fatal("Del reported wrongly")
	}
	if _, ok := get(s, "k"); ok || s.Len() != 1 {
		t.Fatal("k survived Del")
	}
}

func TestIncr(t *testing.T) {
	tests := []struct {
		name    string
		start   string // "" means the key does not exist
		by      int64
		want    int64
		wantErr error
	}{
		{name: "missing key counts as zero", by: 1, want: 1},
		{name: "positive", start: "41", by: 1, want: 42},
		{name: "negative", start: "-5", by: 1, want: -4},
		{name: "zero", start: "0", by: 1, want: 1},
		{name: "to max", start: strconv.FormatInt(math.MaxInt64-1, 10), by: 1, want: math.MaxInt64},
		{name: "past max", start: strconv.FormatInt(math.MaxInt64, 10), by: 1, wantErr: ErrOverflow},
		{name: "past min", start: strconv.FormatInt(math.MinInt64, 10), by: -1, wantErr: ErrOverflow},
		{name: "from min", start: strconv.FormatInt(math.MinInt64, 10), by: 1, want: math.MinInt64 + 1},
		{name: "not a number", start: "abc", by: 1, wantErr: ErrNotInteger},
		{name: "leading zero", start: "01", by: 1, wantErr: ErrNotInteger},
		{name: "plus sign", start: "+1", by: 1, wantErr: ErrNotInteger},
		{name: "minus zero", start: "-0", by: 1, wantErr: ErrNotInteger},
		{name: "space", start: " 1", by: 1, wantErr: ErrNotInteger},
		{name: "out of range", start: "9223372036854775808", by: 1, wantErr: ErrNotInteger},
		{name: "twenty digits", start: "10000000000000000000", by: 1, wantErr: ErrNotInteger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			if tt.start != "" {
				s.Set([]byte("n"), []byte(tt.start))
			}
			got, err := s.Incr([]byte("n"), tt.by)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("Incr = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
			v, _ := get(s, "n")
			if err == nil && v != strconv.FormatInt(tt.want, 10) {
				t.Fatalf("stored %q after Incr to %d", v, tt.want)
			}
			if err != nil && v != tt.start {
				t.Fatalf("failed Incr changed %q to %q", tt.start, v)
			}
		})
	}
}

// Overwriting a key with a value of similar size, and incrementing a
// counter, allocate nothing: the hot path of a benchmark's SET.
func TestOverwriteAllocatesNothing(t *testing.T) {
	s := New()
	key, a, b := []byte("key:__rand_int__"), []byte("xxx"), []byte("yyy")
	s.Set(key, a)
	s.Incr([]byte("counter"), 1)
	dst := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		s.Set(key, b)
		s.Set(key, a)
		dst, _ = s.Get(dst[:0], key, func(dst, val []byte) []byte { return append(dst, val...) })
		s.Incr([]byte("counter"), 1)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per overwrite, get and incr", allocs)
	}
}

// A small value must not keep the array of a large one alive.
func TestOverwriteReleasesLargeArrays(t *testing.T) {
	big := make([]byte, 1<<20)
	old := overwrite(nil, big)
	if got := overwrite(old, []byte("x")); cap(got) >= 1<<20 {
		t.Errorf("a 1-byte value kept a %d-byte array", cap(got))
	}
	if got := overwrite(old, big[:1<<19+1]); &got[0] != &old[0] {
		t.Error("a value of more than half the array did not reuse it")
	}
}

// Loops share the store: run under -race, concurrent Incr, Set, Get and
// Del on shared and private keys must neither race nor lose increments.
func TestConcurrentUse(t *testing.T) {
	s := New()
	const workers, rounds = 4, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := []byte(fmt.Sprintf("own-%d", w))
			for i := range rounds {
				if _, err := s.Incr([]byte("shared"), 1); err != nil {
					t.Error(err)
					return
				}
				s.Set(own, []byte(strconv.Itoa(i)))
				get(s, "shared")
				if i%10 == 0 {
					s.Del(own)
				}
			}
		}()
	}
	wg.Wait()
	if v, _ := get(s, "shared"); v != strconv.Itoa(workers*rounds) {
		t.Errorf("shared counter %s, want %d", v, workers*rounds)
	}
}
