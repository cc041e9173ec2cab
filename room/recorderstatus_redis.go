package room

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRecorderStatusTTL is how long a recorder's report stays fresh:
// recorders report every 5 s, so a recorder silent for 30 s (six
// reports) is stale, offline or cut off.
const DefaultRecorderStatusTTL = 30 * time.Second

// RedisRecorderStatus keeps each recorder's latest report in Redis under
// "<prefix>recorder:status:<recorder id>" with a lifetime, so that every
// evalroomd node sees every recorder's report whichever node received it,
// and an expired report means a stale recorder. Nothing in it must
// survive: the archive and the audit log hold the evidence.
type RedisRecorderStatus struct {
	rdb    *redis.Client
	prefix string
	ttl    time.Duration
}

var _ RecorderStatusStore = (*RedisRecorderStatus)(nil)

// NewRedisRecorderStatus returns a store on rdb under the deployment's
// key prefix; ttl 0 means DefaultRecorderStatusTTL.
func NewRedisRecorderStatus(rdb *redis.Client, prefix string, ttl time.Duration) (*RedisRecorderStatus, error) {
	switch {
	case rdb == nil:
		return nil, fmt.Errorf("%w: Redis client", ErrMissingParam)
	case ttl < 0:
		return nil, fmt.Errorf("%w: recorder status lifetime %s", ErrInvalid, ttl)
	case ttl == 0:
		ttl = DefaultRecorderStatusTTL
	}
	return &RedisRecorderStatus{rdb: rdb, prefix: prefix, ttl: ttl}, nil
}

func (s *RedisRecorderStatus) key(recorderID string) string {
	return s.prefix + "recorder:status:" + recorderID
}

// Put implements RecorderStatusStore.
func (s *RedisRecorderStatus) Put(ctx context.Context, st RecorderStatus) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode recorder status: %w", err)
	}
	if err := s.rdb.Set(ctx, s.key(st.RecorderID), data, s.ttl).Err(); err != nil {
		return fmt.Errorf("store recorder status of %q: %w", st.RecorderID, err)
	}
	return nil
}

// Get implements RecorderStatusStore. A value that no longer decodes
// (written by another version) counts as absent.
func (s *RedisRecorderStatus) Get(ctx context.Context, recorderIDs []string) (map[string]RecorderStatus, error) {
	out := make(map[string]RecorderStatus, len(recorderIDs))
	if len(recorderIDs) == 0 {
		return out, nil
	}
	keys := make([]string, len(recorderIDs))
	for i, id := range recorderIDs {
		keys[i] = s.key(id)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read recorder statuses: %w", err)
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var st RecorderStatus
		if json.Unmarshal([]byte(str), &st) != nil || st.RecorderID != recorderIDs[i] {
			continue
		}
		out[st.RecorderID] = st
	}
	return out, nil
}
