package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// CreateUser stores u; a zero u.Created is set to now.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	created := u.Created
	if created.IsZero() {
		created = codec.Now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO users (name, role, password_hash, created) VALUES ($1, $2, $3, $4)`,
		bs(u.Name), bs(string(u.Role)), bs(u.PasswordHash), codec.UnixNanos(created))
	if isCode(err, codeUnique) {
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("postgres: create user %q: %w", u.Name, err)
	}
	return nil
}

// GetUser returns the user with exactly this name, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, name string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT name, role, password_hash, created FROM users WHERE name = $1`, bs(name)))
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: get user %q: %w", name, notFound(err))
	}
	return u, nil
}

// ListUsers returns users by name, in byte order as SQLite sorts them.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, role, password_hash, created FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.User, error) { return scanUser(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	return out, nil
}

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	var role string
	var created int64
	if err := row.Scan(into(&u.Name), into(&role), into(&u.PasswordHash), &created); err != nil {
		return u, err
	}
	u.Role, u.Created = store.Role(role), codec.FromUnixNanos(created)
	return u, nil
}

// UpdateUser changes the role and password hash of the user named u.Name.
// Created stays as stored.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	err := expectOne(s.pool.Exec(ctx, `UPDATE users SET role = $1, password_hash = $2 WHERE name = $3`,
		bs(string(u.Role)), bs(u.PasswordHash), bs(u.Name)))
	if err != nil {
		return fmt.Errorf("postgres: update user %q: %w", u.Name, err)
	}
	return nil
}

// DeleteUser deletes the user and, through the foreign key, their sessions.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	if err := expectOne(s.pool.Exec(ctx, `DELETE FROM users WHERE name = $1`, bs(name))); err != nil {
		return fmt.Errorf("postgres: delete user %q: %w", name, err)
	}
	return nil
}

const tokenColumns = `id, name, role, hash, owner, created, expires, last_used`

// CreateToken stores t and sets t.ID; a zero t.Created is set to now.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	if t.Created.IsZero() {
		t.Created = codec.Now()
	}
	err := s.pool.QueryRow(ctx,
		`INSERT INTO tokens (name, role, hash, owner, created, expires, last_used) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		bs(t.Name), bs(string(t.Role)), t.Hash, bs(t.Owner), codec.UnixNanos(t.Created), codec.UnixNanos(t.Expires), codec.UnixNanos(t.LastUsed)).Scan(&t.ID)
	if isCode(err, codeUnique) {
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("postgres: create token %q: %w", t.Name, err)
	}
	return nil
}

// TokenByHash returns the token whose secret hashes to hash, or
// ErrNotFound. Expiry is the caller's to check.
func (s *Store) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		// The hash is a credential: keep it out of the error.
		return store.Token{}, fmt.Errorf("postgres: token by hash: %w", notFound(err))
	}
	return t, nil
}

// ListTokens returns tokens in the order they were created.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	return out, nil
}

func scanToken(row pgx.Row) (store.Token, error) {
	var t store.Token
	var role string
	var created, expires, lastUsed int64
	if err := row.Scan(&t.ID, into(&t.Name), into(&role), &t.Hash, into(&t.Owner), &created, &expires, &lastUsed); err != nil {
		return t, err
	}
	t.Role = store.Role(role)
	t.Created, t.Expires, t.LastUsed = codec.FromUnixNanos(created), codec.FromUnixNanos(expires), codec.FromUnixNanos(lastUsed)
	return t, nil
}

// TouchToken records that the token was used at the given time, or returns
// ErrNotFound.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	if err := expectOne(s.pool.Exec(ctx, `UPDATE tokens SET last_used = $1 WHERE id = $2`, codec.UnixNanos(at), id)); err != nil {
		return fmt.Errorf("postgres: touch token %d: %w", id, err)
	}
	return nil
}

// DeleteToken deletes the token, or returns ErrNotFound.
func (s *Store) DeleteToken(ctx context.Context, id int64) error {
	if err := expectOne(s.pool.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("postgres: delete token %d: %w", id, err)
	}
	return nil
}

// CreateSession stores sess. The user must exist (ErrNotFound otherwise)
// and a second session with the same hash is ErrConflict.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (hash, user_name, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)`,
		sess.Hash, bs(sess.User), sess.CSRF, codec.UnixNanos(sess.Created), codec.UnixNanos(sess.Expires))
	switch {
	case isCode(err, codeUnique):
		err = store.ErrConflict
	case isCode(err, codeForeignKey):
		err = fmt.Errorf("user %q: %w", sess.User, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	return nil
}

// SessionByHash returns the session whether or not it has expired: the
// caller compares Expires with its own clock.
func (s *Store) SessionByHash(ctx context.Context, hash string) (store.Session, error) {
	var sess store.Session
	var created, expires int64
	err := s.pool.QueryRow(ctx, `SELECT hash, user_name, csrf, created, expires FROM sessions WHERE hash = $1`, hash).
		Scan(&sess.Hash, into(&sess.User), &sess.CSRF, &created, &expires)
	if err != nil {
		return store.Session{}, fmt.Errorf("postgres: session by hash: %w", notFound(err))
	}
	sess.Created, sess.Expires = codec.FromUnixNanos(created), codec.FromUnixNanos(expires)
	return sess, nil
}

// DeleteSession deletes the session, or returns ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if err := expectOne(s.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions deletes sessions whose Expires is at or before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires <= $1`, codec.UnixNanos(at)); err != nil {
		return fmt.Errorf("postgres: delete expired sessions: %w", err)
	}
	return nil
}
