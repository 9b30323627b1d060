package server

import (
	"context"
	"os"
	"strings"
	"testing"
)

func writeRolesConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestClusterConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cluster ClusterConfig
		wantErr string // "" for valid
	}{
		{"default is the single node", ClusterConfig{}, ""},
		{"all needs nothing", ClusterConfig{Role: RoleAll}, ""},
		{"all may keep its store in PostgreSQL", ClusterConfig{Role: RoleAll, Postgres: "postgres://db/bulwark"}, ""},
		{"ingest", ClusterConfig{Role: RoleIngest, NATS: "nats://127.0.0.1:4222", Postgres: "postgres://db/bulwark"}, ""},
		{"detect", ClusterConfig{Role: RoleDetect, NATS: "nats://127.0.0.1:4222", Postgres: "postgres://db/bulwark"}, ""},
		{"api", ClusterConfig{Role: RoleAPI, NATS: "nats://127.0.0.1:4222", Postgres: "postgres://db/bulwark"}, ""},
		{"unknown role", ClusterConfig{Role: "worker"}, `role "worker"`},
		{"detect without NATS", ClusterConfig{Role: RoleDetect, Postgres: "postgres://db/bulwark"}, "needs a NATS server"},
		{"detect with syslog", ClusterConfig{Role: RoleDetect, NATS: "nats://127.0.0.1:4222", Postgres: "postgres://db/bulwark"}, "receives no events"},
		{"ingest without PostgreSQL", ClusterConfig{Role: RoleIngest, NATS: "nats://127.0.0.1:4222"}, "needs the shared PostgreSQL store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			c.Cluster = tc.cluster
			if strings.Contains(tc.name, "syslog") {
				c.Syslog.TCP = "127.0.0.1:5514"
			}
			c.Defaults()
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestClusterEnv(t *testing.T) {
	env := map[string]string{"BULWARK_ROLE": "detect", "BULWARK_NATS": "nats://n:4222", "BULWARK_POSTGRES": "postgres://db/b"}
	var c Config
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	want := ClusterConfig{Role: "detect", NATS: "nats://n:4222", Postgres: "postgres://db/b"}
	if c.Cluster != want {
		t.Errorf("cluster %+v, want %+v", c.Cluster, want)
	}
}

func TestClusterConfigFile(t *testing.T) {
	path := t.TempDir() + "/bulwark.yaml"
	writeRolesConfig(t, path, "cluster:\n  role: ingest\n  nats: nats://10.0.0.5:4222\n  postgres: postgres://bulwark@10.0.0.6/bulwark\n  workers: 3\n")
	c, err := LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.Role != RoleIngest || c.Cluster.NATS != "nats://10.0.0.5:4222" || c.Cluster.Workers != 3 {
		t.Errorf("cluster %+v", c.Cluster)
	}
}

func TestRedactURL(t *testing.T) {
	got := redactURL("nats://user:secret@10.0.0.5:4222,nats://10.0.0.6:4222")
	if strings.Contains(got, "secret") || !strings.Contains(got, "10.0.0.6") {
		t.Errorf("redacted %q", got)
	}
}

// A detect node over SQLite is refused at start: workers on several
// machines cannot share a SQLite file, and SQLite lacks the batch keys.
func TestDetectNeedsPostgres(t *testing.T) {
	var c Config
	c.DataDir = t.TempDir()
	c.Cluster = ClusterConfig{Role: RoleDetect, NATS: "nats://127.0.0.1:1", Postgres: ""}
	c.Defaults()
	if err := c.Validate(); err == nil {
		t.Fatal("a detect node without PostgreSQL validated")
	}
	if _, err := New(context.Background(), c, nil); err == nil {
		t.Fatal("New accepted a detect node without PostgreSQL")
	}
}
