// Package store is the map behind the kv example: byte-string keys and
// values, safe for concurrent use by every event loop of a server.
//
// Keys are spread over shards, each a Go map behind its own mutex, so
// that loops contend only when they touch the same shard at the same
// moment. Methods copy what they are given and append what they return
// onto the caller's buffer: no slice passed in is kept, and no slice of
// the store escapes its lock.
package store

import (
	"hash/maphash"
	"sync"
)

// shardCount is a power of two well above any sensible loop count, so
// that two loops rarely want the same lock; a shard is small (a mutex and
// a map header), so the count costs little.
const shardCount = 64

// Store maps keys to values. Create one with New; it is safe for
// concurrent use.
type Store struct {
	seed   maphash.Seed
	shards [shardCount]shard
}

// shard is one lock and the keys that hash to it, padded to a cache line
// of its own: without the padding, loops taking neighbouring locks would
// still bounce one line between their cores.
type shard struct {
	mu sync.Mutex
	m  map[string]*entry
	_  [64 - 16]byte
}

// entry holds a value. Keeping it behind a pointer lets an overwrite
// change the value in place, without assigning to the map, which would
// allocate a fresh string for the key.
type entry struct {
	val []byte
}

// New returns an empty store.
func New() *Store {
	s := &Store{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*entry)
	}
	return s
}

// shard returns the shard that holds key.
func (s *Store) shard(key []byte) *shard {
	return &s.shards[maphash.Bytes(s.seed, key)&(shardCount-1)]
}

// Get appends key's value to dst with appendValue, under the shard's
// lock, and reports whether key exists; dst comes back unchanged if it
// does not. appendValue receives the stored value itself: it must copy
// what it needs onto dst and keep no reference to it.
func (s *Store) Get(dst, key []byte, appendValue func(dst, val []byte) []byte) ([]byte, bool) {
	sh := s.shard(key)
	sh.mu.Lock()
	e, ok := sh.m[string(key)]
	if ok {
		dst = appendValue(dst, e.val)
	}
	sh.mu.Unlock()
	return dst, ok
}

// Set stores a copy of val under key, replacing any value it had.
func (s *Store) Set(key, val []byte) {
	sh := s.shard(key)
	sh.mu.Lock()
	if e, ok := sh.m[string(key)]; ok {
		e.val = overwrite(e.val, val)
	} else {
		sh.m[string(key)] = &entry{val: append([]byte(nil), val...)}
	}
	sh.mu.Unlock()
}

// overwrite copies val into old's array when it fits and old is not much
// bigger than needed, so that rewriting a key with values of similar
// size, as benchmarks and counters do, allocates nothing, while a small
// value does not go on pinning the array of a large one.
func overwrite(old, val []byte) []byte {
	if len(val) <= cap(old) && cap(old) <= 2*len(val)+64 {
		return append(old[:0], val...)
	}
	return append([]byte(nil), val...)
}

// Del removes key and reports whether it existed.
func (s *Store) Del(key []byte) bool {
	sh := s.shard(key)
	sh.mu.Lock()
	_, ok := sh.m[string(key)]
	if ok {
		delete(sh.m, string(key))
	}
	sh.mu.Unlock()
	return ok
}

// Len returns the number of keys. Shards are counted one after another,
// so under concurrent writes the sum is only a snapshot of each.
func (s *Store) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
