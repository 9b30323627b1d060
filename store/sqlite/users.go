package sqlite

import (
	"context"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// CreateUser stores u; a zero u.Created is set to now.
func (db *DB) CreateUser(ctx context.Context, u store.User) error {
	created := u.Created
	if created.IsZero() {
		created = codec.Now()
	}
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)`,
		u.Name, string(u.Role), u.PasswordHash, codec.UnixNanos(created))
	if isUniqueViolation(err) {
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("sqlite: create user %q: %w", u.Name, err)
	}
	return nil
}

// GetUser returns the user with exactly this name, or ErrNotFound.
func (db *DB) GetUser(ctx context.Context, name string) (store.User, error) {
	row := db.read.QueryRowContext(ctx, `SELECT name, role, password_hash, created FROM users WHERE name = ?`, name)
	u, err := scanUser(row)
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: get user %q: %w", name, notFound(err))
	}
	return u, nil
}

// ListUsers returns users by name.
func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, role, password_hash, created FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return out, nil
}

func scanUser(row codec.Scanner) (store.User, error) {
	var u store.User
	var role string
	var created int64
	if err := row.Scan(&u.Name, &role, &u.PasswordHash, &created); err != nil {
		return u, err
	}
	u.Role, u.Created = store.Role(role), codec.FromUnixNanos(created)
	return u, nil
}

// UpdateUser changes the role and password hash of the user named u.Name.
// Created stays as stored.
func (db *DB) UpdateUser(ctx context.Context, u store.User) error {
	err := expectOne(db.write.ExecContext(ctx,
		`UPDATE users SET role = ?, password_hash = ? WHERE name = ?`,
		string(u.Role), u.PasswordHash, u.Name))
	if err != nil {
		return fmt.Errorf("sqlite: update user %q: %w", u.Name, err)
	}
	return nil
}

// DeleteUser deletes the user and, through the foreign key, their sessions.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	if err := expectOne(db.write.ExecContext(ctx, `DELETE FROM users WHERE name = ?`, name)); err != nil {
		return fmt.Errorf("sqlite: delete user %q: %w", name, err)
	}
	return nil
}

const tokenColumns = `id, name, role, hash, owner, created, expires, last_used`

// CreateToken stores t and sets t.ID; a zero t.Created is set to now.
func (db *DB) CreateToken(ctx context.Context, t *store.Token) error {
	if t.Created.IsZero() {
		t.Created = codec.Now()
	}
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO tokens (name, role, hash, owner, created, expires, last_used) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Name, string(t.Role), t.Hash, t.Owner, codec.UnixNanos(t.Created), codec.UnixNanos(t.Expires), codec.UnixNanos(t.LastUsed))
	if isUniqueViolation(err) {
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("sqlite: create token %q: %w", t.Name, err)
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("sqlite: create token %q: %w", t.Name, err)
	}
	return nil
}

// TokenByHash returns the token whose secret hashes to hash, or
// ErrNotFound. Expiry is the caller's to check.
func (db *DB) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash)
	t, err := scanToken(row)
	if err != nil {
		// The hash is a credential: keep it out of the error.
		return store.Token{}, fmt.Errorf("sqlite: token by hash: %w", notFound(err))
	}
	return t, nil
}

// ListTokens returns tokens in the order they were created.
func (db *DB) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	return out, nil
}

func scanToken(row codec.Scanner) (store.Token, error) {
	var t store.Token
	var role string
	var created, expires, lastUsed int64
	if err := row.Scan(&t.ID, &t.Name, &role, &t.Hash, &t.Owner, &created, &expires, &lastUsed); err != nil {
		return t, err
	}
	t.Role = store.Role(role)
	t.Created, t.Expires, t.LastUsed = codec.FromUnixNanos(created), codec.FromUnixNanos(expires), codec.FromUnixNanos(lastUsed)
	return t, nil
}

// TouchToken records that the token was used at the given time, or returns
// ErrNotFound.
func (db *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	if err := expectOne(db.write.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, codec.UnixNanos(at), id)); err != nil {
		return fmt.Errorf("sqlite: touch token %d: %w", id, err)
	}
	return nil
}

// DeleteToken deletes the token, or returns ErrNotFound.
func (db *DB) DeleteToken(ctx context.Context, id int64) error {
	if err := expectOne(db.write.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("sqlite: delete token %d: %w", id, err)
	}
	return nil
}

// CreateSession stores s. The user must exist (ErrNotFound otherwise) and a
// second session with the same hash is ErrConflict.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO sessions (hash, user, csrf, created, expires) VALUES (?, ?, ?, ?, ?)`,
		s.Hash, s.User, s.CSRF, codec.UnixNanos(s.Created), codec.UnixNanos(s.Expires))
	switch {
	case isUniqueViolation(err):
		err = store.ErrConflict
	case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY):
		err = fmt.Errorf("user %q: %w", s.User, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return nil
}

// SessionByHash returns the session whether or not it has expired: the
// caller compares Expires with its own clock.
func (db *DB) SessionByHash(ctx context.Context, hash string) (store.Session, error) {
	var s store.Session
	var created, expires int64
	err := db.read.QueryRowContext(ctx,
		`SELECT hash, user, csrf, created, expires FROM sessions WHERE hash = ?`, hash).
		Scan(&s.Hash, &s.User, &s.CSRF, &created, &expires)
	if err != nil {
		return store.Session{}, fmt.Errorf("sqlite: session by hash: %w", notFound(err))
	}
	s.Created, s.Expires = codec.FromUnixNanos(created), codec.FromUnixNanos(expires)
	return s, nil
}

// DeleteSession deletes the session, or returns ErrNotFound.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	if err := expectOne(db.write.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions deletes sessions whose Expires is at or before now.
func (db *DB) DeleteExpiredSessions(ctx context.Context, at time.Time) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, codec.UnixNanos(at)); err != nil {
		return fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	return nil
}
