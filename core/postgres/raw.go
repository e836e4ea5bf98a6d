package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Raw is the store's connection pool, for tools that move a whole store's
// rows as they are (ddd copy): they read and write upstream's tables and
// the store's own directly, with no checks, cascades or summaries of the
// store's making (the database's constraints still hold), then call
// RebuildSummaries. The pool is the store's: do not close it.
func (s *Store) Raw() *pgxpool.Pool { return s.pool }

// RebuildSummaries brings metric_summary in line with the points: it
// computes the summary of every series whose row is missing or counts
// other than its points, as after points were copied in with COPY, and
// removes the rows of series that have no points. It returns how many
// series it summarised. Series that writers keep current are left as they
// are, so it may run while others write; a series being copied in must not
// be written meanwhile.
func (s *Store) RebuildSummaries(ctx context.Context) (int64, error) {
	if s.cfg.readOnly {
		return 0, errReadOnly
	}
	var n int64
	err := s.write(ctx, func(t *tx) error {
		tag, err := t.Exec(t.ctx, `WITH points AS (
				SELECT iteration_id, key, count(*) AS n, min(value) AS lo, max(value) AS hi, min(step) AS first
				FROM metric GROUP BY iteration_id, key),
			stale AS (
				SELECT p.* FROM points p LEFT JOIN metric_summary s ON s.iteration_id = p.iteration_id AND s.key = p.key
				WHERE s.count IS DISTINCT FROM p.n)
			INSERT INTO metric_summary AS s (iteration_id, key, count, min_value, max_value, first_step, last_step, last_value, last_recorded_at)
			SELECT st.iteration_id, st.key, st.n, st.lo, st.hi, st.first, l.step, l.value, l.recorded_at
			FROM stale st CROSS JOIN LATERAL (SELECT step, value, recorded_at FROM metric m
				WHERE m.iteration_id = st.iteration_id AND m.key = st.key
				ORDER BY step DESC, recorded_at DESC, id DESC LIMIT 1) l
			ON CONFLICT (iteration_id, key) DO UPDATE SET count = EXCLUDED.count, min_value = EXCLUDED.min_value,
				max_value = EXCLUDED.max_value, first_step = EXCLUDED.first_step, last_step = EXCLUDED.last_step,
				last_value = EXCLUDED.last_value, last_recorded_at = EXCLUDED.last_recorded_at`)
		if err != nil {
			return fmt.Errorf("cannot summarise the points: %w", err)
		}
		n = tag.RowsAffected()
		_, err = t.Exec(t.ctx, `DELETE FROM metric_summary s WHERE count > 0
			AND NOT EXISTS (SELECT 1 FROM metric m WHERE m.iteration_id = s.iteration_id AND m.key = s.key)`)
		return err
	})
	return n, err
}
