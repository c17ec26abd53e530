// Package throttle bounds what unauthenticated callers can make a server
// spend: a Gate caps how many expensive operations run at once, Rates gives
// each key (a client address) a token bucket, and Backoff locks a key (a
// login) for exponentially longer after repeated failures. State kept per key
// is bounded: attackers choose the keys, so the tables forget the least
// recently used ones rather than grow. Nothing here knows HTTP or passwords.
package throttle

import "container/list"

// table is a map of at most max entries that evicts the least recently used
// one when full. It is not safe for concurrent use: its owner locks.
type table[K comparable, V any] struct {
	max   int
	order *list.List // of *entry[K, V]; front: most recently used
	index map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key K
	val V
}

func newTable[K comparable, V any](max int) *table[K, V] {
	return &table[K, V]{max: max, order: list.New(), index: map[K]*list.Element{}}
}

// find returns the value of k and marks it used.
func (t *table[K, V]) find(k K) (V, bool) {
	el, ok := t.index[k]
	if !ok {
		var zero V
		return zero, false
	}
	t.order.MoveToFront(el)
	return el.Value.(*entry[K, V]).val, true
}

// put stores v under k as the most recently used, evicting the least
// recently used entry when the table is full.
func (t *table[K, V]) put(k K, v V) {
	if el, ok := t.index[k]; ok {
		el.Value.(*entry[K, V]).val = v
		t.order.MoveToFront(el)
		return
	}
	if t.order.Len() >= t.max {
		oldest := t.order.Back()
		delete(t.index, oldest.Value.(*entry[K, V]).key)
		t.order.Remove(oldest)
	}
	t.index[k] = t.order.PushFront(&entry[K, V]{key: k, val: v})
}

// remove forgets k.
func (t *table[K, V]) remove(k K) {
	if el, ok := t.index[k]; ok {
		delete(t.index, k)
		t.order.Remove(el)
	}
}

func (t *table[K, V]) len() int { return t.order.Len() }
