package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/sqlitestore"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiiconf"
	"github.com/bulwarkhq/bulwark/internal/atomicfile"
	"github.com/bulwarkhq/bulwark/rules"
)

func newIntelCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Share threat intelligence over TAXII 2.1",
		Long: `Intel pulls STIX 2.1 objects from TAXII 2.1 servers, pushes them, and runs a
standalone TAXII 2.1 server. Bundles it pulls can be listed under intel.files
in the server's configuration: every event is then matched against their
indicators.`,
		Example: `  bulwark intel pull https://taxii.example.org/taxii2/ --collection feed --token "$T" --into /var/lib/bulwark/intel
  bulwark intel push https://taxii.example.org/taxii2/ --collection sightings --token "$T" sightings.json
  bulwark intel serve --data /var/lib/bulwark/taxii`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newIntelPullCmd(e), newIntelPushCmd(e), newIntelServeCmd(e), newIntelHashCmd(e))
	return cmd
}

type taxiiFlags struct {
	collection, user, password, token string
}

func (t *taxiiFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&t.collection, "collection", "", "collection id or alias (required)")
	f.StringVar(&t.user, "user", "", "HTTP Basic user name")
	f.StringVar(&t.password, "password", "", "HTTP Basic password (default $BULWARK_TAXII_PASSWORD)")
	f.StringVar(&t.token, "token", "", "bearer token instead of a user (default $BULWARK_TAXII_TOKEN)")
}

func (t *taxiiFlags) client() (*taxii.Client, error) {
	if t.collection == "" {
		return nil, usagef("--collection is required")
	}
	c := &taxii.Client{User: t.user, Password: t.password, Token: t.token, HTTP: &http.Client{Timeout: 5 * time.Minute}}
	if c.Password == "" {
		c.Password = os.Getenv("BULWARK_TAXII_PASSWORD")
	}
	if c.Token == "" && c.User == "" {
		c.Token = os.Getenv("BULWARK_TAXII_TOKEN")
	}
	if c.Token != "" && c.User != "" {
		return nil, usagef("give --user or --token, not both")
	}
	return c, nil
}

// intelDir is $BULWARK_DATA_DIR/intel, where pull keeps its cursors.
func intelDir() (string, error) {
	d, err := rules.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "intel"), nil
}

type pullOptions struct {
	taxiiFlags
	out, into string
	full      bool
	types     []string
}

func newIntelPullCmd(e *env) *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use:   "pull URL --collection ID",
		Short: "Pull new objects from a TAXII 2.1 collection into a STIX bundle",
		Long: `Pull fetches the objects of a TAXII 2.1 collection, following the server's
pages, and writes them as one STIX 2.1 bundle. URL is an API root, or a
discovery URL ending in /taxii2/ (its default API root is used).

Pull remembers the date_added of the last object it received, per collection,
in $BULWARK_DATA_DIR/intel/taxii-state.json, and the next run asks only for
what was added since. The state moves only once the bundle is written, so a
failed run is simply repeated. --full ignores the state.`,
		Example: `  bulwark intel pull https://intel.example.org/taxii2/ --collection feed --user me --out new.json
  BULWARK_TAXII_TOKEN=... bulwark intel pull https://intel.example.org/api1/ --collection feed --into ./intel
  bulwark intel pull https://intel.example.org/api1/ --collection feed --type indicator --full > all.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runPull(cmd.Context(), e, o, args[0]) },
	}
	o.add(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "write the bundle to this file (default standard output)")
	f.StringVar(&o.into, "into", "", "write the bundle to a new file in this directory, named by collection and time")
	f.BoolVar(&o.full, "full", false, "pull everything, not only what was added since the last pull")
	f.StringSliceVar(&o.types, "type", nil, "only objects of these STIX types (match[type])")
	return cmd
}

func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s--%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func runPull(ctx context.Context, e *env, o *pullOptions, u string) error {
	if o.out != "" && o.into != "" {
		return usagef("give --out or --into, not both")
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	dir, err := intelDir()
	if err != nil {
		return err
	}
	statePath := filepath.Join(dir, "taxii-state.json")
	state, err := loadState(statePath)
	if err != nil {
		return err
	}
	root, err := c.ResolveRoot(ctx, u)
	if err != nil {
		return err
	}
	c.Cursors = state
	if o.full {
		c.Cursors = map[string]time.Time{}
	}
	q := url.Values{}
	if len(o.types) > 0 {
		q.Set("match[type]", strings.Join(o.types, ","))
	}
	// Write to a temporary file beside the target, renamed when complete,
	// so a half-written bundle never takes the target's place.
	var w io.Writer = e.stdout
	var tmp *os.File
	target := o.out
	if o.into != "" {
		if err := os.MkdirAll(o.into, 0o755); err != nil {
			return err
		}
		target = filepath.Join(o.into, fmt.Sprintf("%s-%s.json", safeName(o.collection), time.Now().UTC().Format("20060102T150405Z")))
	}
	if target != "" {
		if tmp, err = os.CreateTemp(filepath.Dir(target), ".pull-*.json"); err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		w = tmp
	}
	enc := stix.NewEncoder(w, newID("bundle"))
	n, err := c.GetObjects(ctx, root, o.collection, q, enc.Encode)
	if err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if tmp != nil {
		if err := tmp.Sync(); err != nil {
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), target); err != nil {
			return err
		}
	}
	key := taxii.CollectionURL(root, o.collection)
	if t, ok := c.Cursors[key]; ok {
		state[key] = t
		if err := saveState(statePath, state); err != nil {
			return err
		}
	}
	msg := fmt.Sprintf("pulled %d objects from %s", n, key)
	if target != "" {
		msg += " into " + target
	}
	fmt.Fprintln(e.stderr, msg)
	return nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}

func loadState(path string) (map[string]time.Time, error) {
	state := map[string]time.Time{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return state, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &state); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return state, nil
}

func saveState(path string, state map[string]time.Time) error {
	b, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o600, append(b, '\n'))
}

func newIntelPushCmd(e *env) *cobra.Command {
	o := &taxiiFlags{}
	cmd := &cobra.Command{
		Use:   "push URL --collection ID FILE.json",
		Short: "Push the objects of a STIX bundle to a TAXII 2.1 collection",
		Long: `Push reads a STIX 2.1 bundle and adds its objects to a TAXII 2.1 collection,
in as many requests as the server's max_content_length needs, waiting for
each status. Objects the server refuses are listed; the exit status is 1
when any was refused.`,
		Example: `  bulwark intel push https://intel.example.org/api1/ --collection feed --user me bundle.json
  bulwark intel push http://127.0.0.1:9443/taxii2/ --collection local --token "$TOKEN" misp-export.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			objs, err := stix.ReadBundle(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			root, err := c.ResolveRoot(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			st, err := c.Add(cmd.Context(), root, o.collection, objs)
			if err != nil {
				return err
			}
			for _, fl := range st.Failures {
				fmt.Fprintf(e.stderr, "refused %s: %s\n", fl.ID, fl.Message)
			}
			fmt.Fprintf(e.stdout, "%d objects: %d added, %d refused\n", st.TotalCount, st.SuccessCount, st.FailureCount)
			if st.FailureCount > 0 {
				return fmt.Errorf("%d objects refused", st.FailureCount)
			}
			return nil
		},
	}
	o.add(cmd)
	return cmd
}

type intelServeOptions struct {
	listen, data, config, cert, key, baseURL string
}

func newIntelServeCmd(e *env) *cobra.Command {
	o := &intelServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a standalone TAXII 2.1 server",
		Long: `Serve runs a TAXII 2.1 server (discovery at /taxii2/, API root /api1/) over a
SQLite database in the data directory. Users and collections come from a
YAML file (default DATA/taxii.yaml):

  users:
    - name: alice
      password: $argon2id$v=19$m=19456,t=2,p=1$...   # bulwark intel hash-password
      groups: [partners]
      token_sha256: [<hex SHA-256 of a bearer token>]
  collections:
    - id: 2f8b0d7e-...        # or any path-safe name
      title: Indicators
      read: ["*"]             # a user, "group:NAME", or "*"
      write: [alice]
      amber: ["group:partners"]

Objects marked TLP:RED are kept but never served; TLP:AMBER and
AMBER+STRICT go only to the collection's amber list. Without TLS the server
listens on loopback only.`,
		Example: `  bulwark intel hash-password < pw.txt        # for the users file
  bulwark intel serve --data /var/lib/bulwark/taxii
  bulwark intel serve --listen :9443 --tls-cert cert.pem --tls-key key.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runIntelServe(cmd.Context(), e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9443", "address to listen on")
	f.StringVar(&o.data, "data", "", "data directory (default $BULWARK_DATA_DIR/intel/taxii)")
	f.StringVar(&o.config, "config", "", "users and collections file (default DATA/taxii.yaml)")
	f.StringVar(&o.cert, "tls-cert", "", "TLS certificate (PEM)")
	f.StringVar(&o.key, "tls-key", "", "TLS private key (PEM)")
	f.StringVar(&o.baseURL, "base-url", "", "external URL for discovery when behind a proxy")
	return cmd
}

func runIntelServe(ctx context.Context, e *env, o *intelServeOptions) error {
	if (o.cert == "") != (o.key == "") {
		return usagef("give both --tls-cert and --tls-key")
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return usagef("--listen %q: %v", o.listen, err)
	}
	if ip := net.ParseIP(host); o.cert == "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("--listen %s is not loopback: credentials would cross the network in clear; give --tls-cert and --tls-key", o.listen)
	}
	if o.data == "" {
		d, err := intelDir()
		if err != nil {
			return err
		}
		o.data = filepath.Join(d, "taxii")
	}
	if o.config == "" {
		o.config = filepath.Join(o.data, "taxii.yaml")
	}
	conf, err := taxiiconf.Load(o.config)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return err
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(o.data, "taxii.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range conf.Collections {
		if err := st.PutCollection(ctx, c); err != nil {
			return err
		}
	}
	root := conf.Root
	if root == "" {
		root = "api1"
	}
	h := taxii.NewServer(taxii.Options{
		Store: st, Auth: taxiiconf.NewAuthenticator(conf), Root: root, BaseURL: o.baseURL,
		Title: conf.Title, Description: conf.Description, Contact: conf.Contact,
	})
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	scheme := "http"
	if o.cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stderr, "TAXII 2.1 server: %s://%s/taxii2/ (api root /%s/, %d collections, %d users)\n",
		scheme, ln.Addr(), root, len(conf.Collections), len(conf.Users))
	errc := make(chan error, 1)
	go func() {
		if o.cert != "" {
			errc <- srv.ServeTLS(ln, o.cert, o.key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

func newIntelHashCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "hash-password",
		Short:   "Print an argon2id hash of the password read from standard input",
		Example: `  printf '%s' 'correct horse' | bulwark intel hash-password`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := io.ReadAll(io.LimitReader(e.stdin, 1025))
			if err != nil {
				return err
			}
			pw := strings.TrimRight(string(b), "\r\n")
			if len(pw) < 8 || len(pw) > 1024 {
				return usagef("password must be 8 to 1024 bytes")
			}
			_, err = fmt.Fprintln(e.stdout, taxiiconf.HashPassword(pw))
			return err
		},
	}
}
