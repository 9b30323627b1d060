package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// BootstrapUser is the name of the administrator Bootstrap creates.
const BootstrapUser = "admin"

// Bootstrap makes sure someone can log in to a new server: when the store
// holds no user at all, it creates BootstrapUser as an admin with a
// generated password and returns that password, which the caller prints
// once (it is stored only as a hash). Otherwise it returns created false
// and changes nothing, so that it is safe to call at every start.
func Bootstrap(ctx context.Context, users store.Users) (password string, created bool, err error) {
	list, err := users.ListUsers(ctx)
	if err != nil {
		return "", false, fmt.Errorf("auth: listing users: %w", err)
	}
	if len(list) > 0 {
		return "", false, nil
	}
	password = GeneratePassword()
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return "", false, err
	}
	err = users.CreateUser(ctx, store.User{
		Name:         BootstrapUser,
		Role:         store.RoleAdmin,
		PasswordHash: hash,
		Created:      time.Now(),
	})
	if errors.Is(err, store.ErrConflict) {
		// Another process sharing the store got there first; its
		// password is the one that counts.
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("auth: creating %s: %w", BootstrapUser, err)
	}
	return password, true, nil
}
