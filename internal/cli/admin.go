package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/server"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/postgres"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

// The token and user commands work on the data directory directly, so an
// operator can set up shippers and recover a lost password on the box,
// with or without the server running (SQLite allows both at once).

// openData opens the server's store: PostgreSQL when BULWARK_POSTGRES
// names one (a scale-out deployment, as `serve --postgres`), else SQLite in
// dir.
func openData(ctx context.Context, dir string) (store.Store, error) {
	if dsn := os.Getenv("BULWARK_POSTGRES"); dsn != "" && dir == "" {
		return postgres.Open(ctx, dsn, postgres.Options{})
	}
	if dir == "" {
		dir = "bulwark-data"
	}
	return sqlite.Open(ctx, dir, sqlite.Options{})
}

func newTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create API tokens for log shippers and scripts",
		Example: `  bulwark token create --name fluent-bit --role ingest
  bulwark token create --data /var/lib/bulwark --name soc-script --role analyst --expires 30d`,
	}
	var dir, name, role, expires string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token and print it (shown once)",
		Example: `  # A token for Fluent Bit's splunk output
  bulwark token create --name fluent-bit --role ingest
  # A read-only token for a dashboard, valid 90 days
  bulwark token create --name grafana --role viewer --expires 90d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !auth.ValidRole(store.Role(role)) {
				return usagef("--role %q: use admin, analyst, viewer or ingest", role)
			}
			if name == "" {
				return usagef("--name is required")
			}
			st, err := openData(cmd.Context(), dir)
			if err != nil {
				return err
			}
			defer st.Close()
			secret, hash := auth.NewToken()
			t := store.Token{Name: name, Role: store.Role(role), Hash: hash, Owner: "cli", Created: time.Now().UTC()}
			if expires != "" {
				d, err := server.ParseDuration(expires)
				if err != nil || d <= 0 {
					return usagef("--expires %q: use a duration such as 90d or 24h", expires)
				}
				t.Expires = t.Created.Add(d)
			}
			if err := st.CreateToken(cmd.Context(), &t); err != nil {
				return err
			}
			_ = st.AppendAudit(cmd.Context(), store.AuditEntry{Time: t.Created, Actor: "cli", Action: "token.create", Target: name, Detail: "role " + role})
			return writeJSONTo(e.stdout, map[string]any{"token": t, "secret": secret})
		},
	}
	create.Flags().StringVar(&dir, "data", "", "data directory (default ./bulwark-data; with $BULWARK_POSTGRES set and no --data, that PostgreSQL store)")
	create.Flags().StringVar(&name, "name", "", "what the token is for")
	create.Flags().StringVar(&role, "role", "ingest", "admin, analyst, viewer or ingest")
	create.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 90d (default: no expiry)")
	cmd.AddCommand(create)
	return cmd
}

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "user",
		Short:   "Manage users of the web UI and API",
		Example: "  bulwark user reset-password admin --data /var/lib/bulwark",
	}
	var dir string
	passwd := &cobra.Command{
		Use:     "reset-password NAME",
		Short:   "Set a new generated password for a user and print it",
		Example: "  bulwark user reset-password admin",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openData(cmd.Context(), dir)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.GetUser(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("user %s: %w", args[0], err)
			}
			pw := auth.GeneratePassword()
			if u.PasswordHash, err = auth.HashPassword(pw); err != nil {
				return err
			}
			if err := st.UpdateUser(cmd.Context(), u); err != nil {
				return err
			}
			_ = st.AppendAudit(cmd.Context(), store.AuditEntry{Time: time.Now().UTC(), Actor: "cli", Action: "user.reset-password", Target: u.Name})
			fmt.Fprintf(e.stdout, "New password for %s: %s\n", u.Name, pw)
			return nil
		},
	}
	passwd.Flags().StringVar(&dir, "data", "", "data directory (default ./bulwark-data; with $BULWARK_POSTGRES set and no --data, that PostgreSQL store)")
	cmd.AddCommand(passwd)
	return cmd
}
