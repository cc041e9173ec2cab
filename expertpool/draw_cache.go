package expertpool

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
)

// drawCache holds what the draw engine keeps in memory between draws: the
// blind-key directory and the experts of each specialty and region. Both
// only speed up eligibility; neither changes its result.
type drawCache struct {
	keys   keyDirectory
	quotas quotaLists
}

func newDrawCache() *drawCache {
	return &drawCache{keys: keyDirectory{byKey: map[[sha256.Size]byte]int64{}, known: map[int64]struct{}{}}, quotas: quotaLists{m: map[quotaListKey]quotaList{}}}
}

// keyDirectory is the blind-key directory: the expert id behind each blind
// key, for the experts seen so far. Eligibility reads the keys of busy
// experts (at their monthly cap, booked, drawn) from the database and
// needs their ids; the other way round, keys for every candidate (tens of
// thousands for a large pool), an HMAC each would dominate the draw. The
// directory lives only in memory, so the database alone still does not
// link members to experts. About 80 bytes per expert.
type keyDirectory struct {
	mu    sync.RWMutex
	byKey map[[sha256.Size]byte]int64
	known map[int64]struct{}
	maxID int64
}

// lookup returns the ids of keys it knows and whether it knew them all.
func (c *keyDirectory) lookup(keys [][]byte, found map[int]int64) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	all := true
	for i, k := range keys {
		if len(k) != sha256.Size {
			continue
		}
		if id, ok := c.byKey[[sha256.Size]byte(k)]; ok {
			found[i] = id
		} else {
			all = false
		}
	}
	return all
}

// expertIDs maps blind keys to expert ids (by index into keys), as far as
// they belong to experts of candidates (the draw's quota lists) or to
// experts the directory knew already; other keys do not matter to the
// draw and are left out. An unknown key makes the directory read the
// experts added since it last looked (ids only grow) and then add any
// candidate it still does not know (an insert that committed after a
// higher id was read, say), so a busy candidate is always recognised.
func (s *Service) expertIDs(ctx context.Context, q pgx.Tx, keys [][]byte, candidates [][]int64) (map[int]int64, error) {
	found := make(map[int]int64, len(keys))
	c := &s.drawCache.keys
	if c.lookup(keys, found) {
		return found, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	mac := s.keys.NewMAC(expertKeyPurpose) // equals expertKey, without an allocation per id
	var buf [20]byte
	add := func(id int64) {
		mac.Reset()
		mac.Write(strconv.AppendInt(buf[:0], id, 10))
		c.byKey[[sha256.Size]byte(mac.Sum(nil))] = id
		c.known[id] = struct{}{}
	}
	rows, err := q.Query(ctx, `SELECT id FROM expertpool.experts WHERE id > $1 ORDER BY id`, c.maxID)
	if err != nil {
		return nil, fmt.Errorf("blind key directory: %w", err)
	}
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
		add(id)
		c.maxID = id
		return nil
	}); err != nil {
		return nil, fmt.Errorf("blind key directory: %w", err)
	}
	for _, list := range candidates {
		for _, id := range list {
			if _, ok := c.known[id]; !ok {
				add(id)
			}
		}
	}
	for i, k := range keys {
		if len(k) != sha256.Size {
			continue
		}
		if id, ok := c.byKey[[sha256.Size]byte(k)]; ok {
			found[i] = id
		}
	}
	return found, nil
}

// quotaListsMax bounds the number of lists kept; past it they start over.
const quotaListsMax = 512

// quotaLists keeps, per specialty and region prefix, the sorted ids of the
// experts of the specialty subtree in the region (draw_index), with the
// draw_index_version they were read at. A list is reused while the
// version has not moved (nothing in draw_index changed). Lists are shared:
// never modify one.
type quotaLists struct {
	mu sync.Mutex
	m  map[quotaListKey]quotaList
}

type quotaListKey struct{ specialty, prefix string }

type quotaList struct {
	version int64
	ids     []int64
}

func (c *quotaLists) get(k quotaListKey, version int64) ([]int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[k]
	if !ok || l.version != version {
		return nil, false
	}
	return l.ids, true
}

func (c *quotaLists) put(k quotaListKey, version int64, ids []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= quotaListsMax {
		clear(c.m)
	}
	if l, ok := c.m[k]; !ok || l.version <= version {
		c.m[k] = quotaList{version: version, ids: ids}
	}
}
