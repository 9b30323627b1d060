package postgres

// What the scale-out detection workers (pipeline/jetstream) need beyond
// store.Store: a batch of events and its alerts written in one transaction
// together with the id of the JetStream message it came from, so that a
// message redelivered after a crash between commit and acknowledgement is
// recognised and not stored twice; and correlation alerts written under a
// key of their own, with the stream position the correlator has reached.
//
// The three small tables are created on first use, not by the store's
// migrations: they belong to the scale-out roles only.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/pipeline/jetstream/applied"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
	"github.com/bulwarkhq/bulwark/store/internal/ruledoc"
)

// jetstreamTables records which stores have the tables.
var jetstreamTables sync.Map // *Store → struct{}

func (s *Store) ensureJetStreamTables(ctx context.Context) error {
	if _, ok := jetstreamTables.Load(s); ok {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Workers starting together create the tables once.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('bulwark.jetstream'))`); err != nil {
			return err
		}
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS jetstream_batches (key text PRIMARY KEY, applied bigint NOT NULL, first_event bigint NOT NULL, events integer NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS jetstream_alert_keys (key text PRIMARY KEY, applied bigint NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS jetstream_positions (name text PRIMARY KEY, through bigint NOT NULL)`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: jetstream tables: %w", err)
	}
	jetstreamTables.Store(s, struct{}{})
	return nil
}

// ApplyBatches writes the batches whose keys were never applied before, in
// one transaction: their keys, events and alerts. It returns how many it
// applied; the others were already stored and are skipped whole.
func (s *Store) ApplyBatches(ctx context.Context, batches []applied.Batch) (int, error) {
	if len(batches) == 0 {
		return 0, nil
	}
	if err := s.ensureJetStreamTables(ctx); err != nil {
		return 0, err
	}
	// Every batch's events, made into rows once; a transaction copies
	// those of the batches not applied before.
	prep := make([]eventBatch, len(batches))
	var days []int64
	keys := make([]string, len(batches))
	for b := range batches {
		keys[b] = batches[b].Key
		prep[b].add(batches[b].Events)
		for _, d := range prep[b].days {
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
	}
	for attempt := 0; ; attempt++ {
		if err := s.ensurePartitions(ctx, days); err != nil {
			return 0, fmt.Errorf("postgres: apply batches: %w", err)
		}
		stored := 0
		var added []*ruledoc.Doc
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			stored, added = 0, added[:0]
			rows, err := tx.Query(ctx, `INSERT INTO jetstream_batches (key, applied, first_event, events)
SELECT k, $2, 0, 0 FROM unnest($1::text[]) AS k ON CONFLICT (key) DO NOTHING RETURNING key`, keys, codec.UnixNanos(codec.Now()))
			if err != nil {
				return fmt.Errorf("record batch keys: %w", err)
			}
			fresh, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("record batch keys: %w", err)
			}
			isFresh := make(map[string]bool, len(fresh))
			for _, k := range fresh {
				isFresh[k] = true
			}
			var all eventBatch
			all.perDay = map[int64]int64{}
			var alerts []store.StoredAlert
			for b := range batches {
				if !isFresh[batches[b].Key] {
					continue
				}
				delete(isFresh, batches[b].Key) // a key twice in one call counts once
				stored++
				base := int64(len(all.rows)) // index of the batch's first event in all
				all.rows = append(all.rows, prep[b].rows...)
				for d, n := range prep[b].perDay {
					all.perDay[d] += n
				}
				for _, a := range batches[b].Alerts {
					if a.EventID > 0 {
						a.EventID = -(base + a.EventID) // numbered below, once ids are reserved
					}
					alerts = append(alerts, a)
				}
			}
			if len(all.rows) > 0 {
				first, err := all.copyTx(ctx, tx)
				if err != nil {
					return err
				}
				for i := range alerts {
					if alerts[i].EventID < 0 {
						alerts[i].EventID = first - alerts[i].EventID - 1
					}
				}
			}
			added, err = s.insertAlertsTx(ctx, tx, alerts, added)
			return err
		})
		if err != nil {
			ruledoc.Undo(added)
			if attempt == 0 && isCode(err, codeNoPartition) {
				s.forgetPartitions()
				continue
			}
			return 0, fmt.Errorf("postgres: apply batches: %w", err)
		}
		return stored, nil
	}
}

// insertAlertsTx inserts alerts (and the rules they cite) in tx, as
// AddAlerts does, without moving the detection mark. It returns the rule
// documents it marked stored, to undo if tx does not commit.
func (s *Store) insertAlertsTx(ctx context.Context, tx pgx.Tx, alerts []store.StoredAlert, added []*ruledoc.Doc) ([]*ruledoc.Doc, error) {
	if len(alerts) == 0 {
		return added, nil
	}
	var last int64
	if err := tx.QueryRow(ctx, `UPDATE alert_ids SET last = last + $1 WHERE id = 1 RETURNING last`, len(alerts)).Scan(&last); err != nil {
		return added, fmt.Errorf("reserve alert ids: %w", err)
	}
	first := last - int64(len(alerts)) + 1
	detected := codec.UnixNanos(codec.Now())
	var batch pgx.Batch
	for i := range alerts {
		r, doc, err := s.rules.Encode(alerts[i].Alert)
		if err != nil {
			return added, fmt.Errorf("encode alert %d: %w", i, err)
		}
		if !r.Stored.Load() {
			batch.Queue(`INSERT INTO alert_rules (key, data) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, r.Key, string(r.JSON))
			r.Stored.Store(true)
			added = append(added, r)
		}
		batch.Queue(`INSERT INTO alerts (id, time, rule_id, host, level, event_id, detected, rule_key, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			first+int64(i), codec.UnixNanos(alerts[i].Time), bs(alerts[i].Rule.ID), bs(alerts[i].Host), bs(alerts[i].Rule.Level), alerts[i].EventID, detected, r.Key, string(doc))
	}
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return added, fmt.Errorf("insert alerts: %w", err)
	}
	return added, nil
}

// CommitCorrelation stores the alerts whose keys were never stored before
// and moves the named correlator's stream position to through (never
// back), in one transaction.
func (s *Store) CommitCorrelation(ctx context.Context, name string, through uint64, alerts []applied.KeyedAlert) error {
	if err := s.ensureJetStreamTables(ctx); err != nil {
		return err
	}
	var added []*ruledoc.Doc
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		added = added[:0]
		var fresh []store.StoredAlert
		at := codec.UnixNanos(codec.Now())
		for _, ka := range alerts {
			tag, err := tx.Exec(ctx, `INSERT INTO jetstream_alert_keys (key, applied) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, ka.Key, at)
			if err != nil {
				return fmt.Errorf("record alert key: %w", err)
			}
			if tag.RowsAffected() == 1 {
				fresh = append(fresh, ka.Alert)
			}
		}
		var err error
		if added, err = s.insertAlertsTx(ctx, tx, fresh, added); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO jetstream_positions (name, through) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET through = GREATEST(jetstream_positions.through, excluded.through)`, name, int64(through))
		return err
	})
	if err != nil {
		ruledoc.Undo(added)
		return fmt.Errorf("postgres: commit correlation: %w", err)
	}
	return nil
}

// CorrelationPosition returns the stream position the named correlator
// committed last (0: none).
func (s *Store) CorrelationPosition(ctx context.Context, name string) (uint64, error) {
	if err := s.ensureJetStreamTables(ctx); err != nil {
		return 0, err
	}
	var through int64
	err := s.pool.QueryRow(ctx, `SELECT through FROM jetstream_positions WHERE name = $1`, name).Scan(&through)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: correlation position: %w", err)
	}
	return uint64(through), nil
}

// ForgetBatchesBefore removes the batch and alert keys stored before t: a
// message acknowledged that long ago is never delivered again, and no
// correlator replays that far.
func (s *Store) ForgetBatchesBefore(ctx context.Context, t time.Time) error {
	if err := s.ensureJetStreamTables(ctx); err != nil {
		return err
	}
	for _, table := range []string{"jetstream_batches", "jetstream_alert_keys"} {
		if _, err := s.pool.Exec(ctx, `DELETE FROM `+table+` WHERE applied < $1`, codec.UnixNanos(t)); err != nil {
			return fmt.Errorf("postgres: forget keys in %s: %w", table, err)
		}
	}
	return nil
}

var _ applied.Store = (*Store)(nil)
