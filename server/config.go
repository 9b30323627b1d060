package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the server's configuration. It comes from a YAML file, then
// BULWARK_* environment variables, then command-line flags, each overriding
// the one before; the zero value of each field means its default.
type Config struct {
	// Listen is the HTTP(S) address of the API, UI and HTTP ingest.
	Listen string `yaml:"listen"`
	// DataDir holds the database.
	DataDir string `yaml:"data_dir"`
	// TLSCert and TLSKey serve HTTPS (and syslog over TLS).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// Insecure allows plain HTTP on a non-loopback address.
	Insecure bool `yaml:"insecure"`
	// Retention is how long events are kept; alerts and cases stay until
	// deleted.
	Retention Duration `yaml:"retention"`

	Syslog struct {
		UDP string `yaml:"udp"` // e.g. 127.0.0.1:5514
		TCP string `yaml:"tcp"`
		TLS string `yaml:"tls"` // needs tls_cert and tls_key
	} `yaml:"syslog"`

	// Tail lists files (or globs) to follow.
	Tail       []string `yaml:"tail"`
	TailFormat string   `yaml:"tail_format"`

	Rules struct {
		Dirs      []string `yaml:"dirs"`
		NoBuiltin bool     `yaml:"no_builtin"`
		Mapping   string   `yaml:"mapping"`
		MinLevel  string   `yaml:"min_level"`
	} `yaml:"rules"`

	Limits struct {
		// IngestBodyBytes bounds a HEC or OTLP request (decompressed).
		IngestBodyBytes int64 `yaml:"ingest_body_bytes"`
		// UploadBodyBytes bounds a log file upload.
		UploadBodyBytes int64 `yaml:"upload_body_bytes"`
		// APIBodyBytes bounds every other request.
		APIBodyBytes int64 `yaml:"api_body_bytes"`
		// QueueEvents bounds events accepted but not yet written.
		QueueEvents int `yaml:"queue_events"`
		// MemoryBytes is the heap size the garbage collector works to stay
		// under (a soft limit; default 768 MiB, for a 1 GB box).
		MemoryBytes int64 `yaml:"memory_bytes"`
	} `yaml:"limits"`

	// Notify sends new cases at or above MinScore to webhooks and email.
	Notify struct {
		MinScore float64         `yaml:"min_score"` // default 50
		Webhooks []WebhookConfig `yaml:"webhooks"`
		Email    EmailConfig     `yaml:"email"`
		// BaseURL is the server's address as people reach it, for links
		// in notifications (https://bulwark.example.org).
		BaseURL string `yaml:"base_url"`
	} `yaml:"notify"`

	// Intel lists threat-intel bundles whose indicators every event is
	// matched against.
	Intel IntelConfig `yaml:"intel"`
	// TAXII configures the TAXII 2.1 server's collections.
	TAXII TAXIIConfig `yaml:"taxii"`

	// Guard serves the LLM guard proxy at /guard/v1/... when Upstream is
	// set: apps call it with an ingest token instead of the provider.
	Guard GuardConfig `yaml:"guard"`

	// Copilot is the model behind the copilot (case summaries, questions
	// to queries, the investigation agent). Without one everything is
	// answered offline.
	Copilot CopilotConfig `yaml:"copilot"`

	// Supply scans the dependencies of projects on this machine at start
	// and every Interval, keeping what is exposed per project.
	Supply SupplyConfig `yaml:"supply"`

	// OT runs the Modbus/TCP and DNP3 monitor on interfaces or on capture
	// files dropped in folders.
	OT OTConfig `yaml:"ot"`

	// Cluster runs the server as one role of a scale-out deployment
	// (roles.go, docs/deploy).
	Cluster ClusterConfig `yaml:"cluster"`

	Log struct {
		Level  string `yaml:"level"`  // debug, info, warn, error
		Format string `yaml:"format"` // text or json
	} `yaml:"log"`
}

// GuardConfig configures the guard proxy inside the server.
type GuardConfig struct {
	// Upstream is the OpenAI-compatible API to guard
	// (https://api.openai.com/v1, http://127.0.0.1:11434/v1 for Ollama).
	Upstream string `yaml:"upstream"`
	// UpstreamKeyEnv names the environment variable holding the
	// provider's API key; callers' tokens never go upstream.
	UpstreamKeyEnv string `yaml:"upstream_key_env"`
	// Policy is a guard policy file (YAML); empty: the default policy.
	Policy string `yaml:"policy"`
	// AllowedHosts may receive data in links and images of model output.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// Rate and Burst limit requests per token (per second); 0: no limit.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// CopilotConfig configures the copilot's model: any OpenAI-compatible API.
// When BaseURL and Model are both empty, the BULWARK_LLM_* environment
// variables are read instead (provider.ConfigFromEnv); when those are unset
// too, the copilot answers offline, which is a normal way to run.
type CopilotConfig struct {
	// BaseURL of the API: https://api.openai.com/v1,
	// http://127.0.0.1:11434/v1 (Ollama).
	BaseURL string `yaml:"base_url"`
	// Model to ask: gpt-4o-mini, llama3.1, ...
	Model string `yaml:"model"`
	// APIKeyEnv names the environment variable holding the API key, so
	// that the key stays out of the file; local servers need none.
	APIKeyEnv string `yaml:"api_key_env"`
	// DailyTokens bounds prompt+completion tokens per UTC day; 0 is
	// unlimited. Once spent, answers come offline until midnight UTC.
	DailyTokens int `yaml:"daily_tokens"`
	// Timeout bounds one call to the model (default 60s).
	Timeout Duration `yaml:"timeout"`
	// MaxRetries after a transient failure (default 2; -1 for none).
	MaxRetries int `yaml:"max_retries"`
}

// SupplyConfig configures the server's own dependency scans. CI jobs can
// upload scans instead (POST /api/v1/supply/scans); both land in the same
// store.
type SupplyConfig struct {
	// Paths are the projects to scan: a path (the project is named after
	// its base name) or a one-entry map "name: path".
	Paths []SupplyPath `yaml:"paths"`
	// Interval between scans (default 24h).
	Interval Duration `yaml:"interval"`
	// DBDir is the vulnerability database (default
	// $BULWARK_DATA_DIR/supply, where 'bulwark db update' writes it).
	DBDir string `yaml:"db_dir"`
}

// SupplyPath is one project to scan.
type SupplyPath struct {
	Name string
	Path string
}

// UnmarshalYAML accepts "path" or "name: path".
func (p *SupplyPath) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode:
		p.Path = n.Value
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Kind == yaml.ScalarNode && n.Content[1].Kind == yaml.ScalarNode:
		p.Name, p.Path = n.Content[0].Value, n.Content[1].Value
	default:
		return fmt.Errorf("line %d: supply path: give a path or one \"name: path\"", n.Line)
	}
	return nil
}

// project is the name the path's findings are kept under.
func (p SupplyPath) project() string {
	if p.Name != "" {
		return p.Name
	}
	return filepath.Base(filepath.Clean(p.Path))
}

// configured reports whether the section names a model at all.
func (c CopilotConfig) configured() bool { return c.BaseURL != "" || c.Model != "" }

// WebhookConfig is a webhook to notify.
type WebhookConfig struct {
	URL    string `yaml:"url"`
	Slack  bool   `yaml:"slack"`  // Slack's payload (also Mattermost, Rocket.Chat)
	Secret string `yaml:"secret"` // signs generic payloads (X-Bulwark-Signature)
}

// EmailConfig is the SMTP server and addresses notifications go through.
type EmailConfig struct {
	Addr     string   `yaml:"addr"` // host:port of the SMTP server
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	Security string   `yaml:"security"` // starttls (default), tls, none (loopback relay only)
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen, "127.0.0.1:8080")
	def(&c.DataDir, "bulwark-data")
	def(&c.Rules.MinLevel, "low")
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "text")
	if c.Retention == 0 {
		c.Retention = Duration(30 * 24 * time.Hour)
	}
	if c.Limits.IngestBodyBytes <= 0 {
		c.Limits.IngestBodyBytes = 16 << 20
	}
	if c.Limits.UploadBodyBytes <= 0 {
		c.Limits.UploadBodyBytes = 512 << 20
	}
	if c.Limits.APIBodyBytes <= 0 {
		c.Limits.APIBodyBytes = 1 << 20
	}
	if c.Limits.QueueEvents <= 0 {
		c.Limits.QueueEvents = 32768
	}
	if c.Limits.MemoryBytes <= 0 {
		c.Limits.MemoryBytes = 768 << 20
	}
	if c.Notify.MinScore <= 0 {
		c.Notify.MinScore = 50
	}
	if c.Supply.Interval == 0 {
		c.Supply.Interval = Duration(24 * time.Hour)
	}
}

// Validate checks the configuration, including the rule that a server
// reachable from the network speaks TLS unless told otherwise.
func (c *Config) Validate() error {
	var errs []error
	tls := c.TLSCert != "" || c.TLSKey != ""
	if tls && (c.TLSCert == "" || c.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert and tls_key go together"))
	}
	check := func(what, addr string, canTLS bool) {
		if addr == "" {
			return
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", what, addr))
			return
		}
		if !isLoopback(host) && !(canTLS && tls) && !c.Insecure {
			errs = append(errs, fmt.Errorf("%s %s is reachable from the network: give tls_cert and tls_key (--tls-cert/--tls-key), or accept plain text with --insecure", what, addr))
		}
	}
	check("listen", c.Listen, true)
	check("syslog udp", c.Syslog.UDP, false)
	check("syslog tcp", c.Syslog.TCP, false)
	if c.Syslog.TLS != "" && !tls {
		errs = append(errs, errors.New("syslog tls needs tls_cert and tls_key"))
	}
	if time.Duration(c.Retention) < time.Hour {
		errs = append(errs, fmt.Errorf("retention %v is under an hour", time.Duration(c.Retention)))
	}
	if cp := c.Copilot; cp.configured() {
		if cp.BaseURL == "" || cp.Model == "" {
			errs = append(errs, errors.New("copilot: base_url and model go together"))
		} else if u, err := url.Parse(cp.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("copilot: base_url %q is not an http(s) URL", cp.BaseURL))
		}
	}
	if c.Copilot.DailyTokens < 0 || c.Copilot.Timeout < 0 || c.Copilot.MaxRetries < -1 {
		errs = append(errs, errors.New("copilot: daily_tokens and timeout cannot be negative, max_retries is -1 or more"))
	}
	if len(c.Supply.Paths) > 0 && time.Duration(c.Supply.Interval) < time.Minute {
		errs = append(errs, fmt.Errorf("supply interval %v is under a minute", time.Duration(c.Supply.Interval)))
	}
	names := map[string]bool{}
	for _, p := range c.Supply.Paths {
		name := p.project()
		switch {
		case p.Path == "":
			errs = append(errs, errors.New("supply paths: an empty path"))
		case !validProject(name):
			errs = append(errs, fmt.Errorf("supply paths: project name %q: use up to 128 letters, digits, spaces and . _ - / @ : +", name))
		case names[name]:
			errs = append(errs, fmt.Errorf("supply paths: two projects named %q: name them (\"name: path\")", name))
		}
		names[name] = true
	}
	if err := c.validateCluster(); err != nil {
		errs = append(errs, err)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log format %q: use text or json", c.Log.Format))
	}
	return errors.Join(errs...)
}

// isLoopback reports whether a listen host only accepts local clients.
// An empty host ("":8080) listens on every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadConfigFile reads a YAML configuration file. Unknown keys are errors,
// so a typo does not silently fall back to a default.
func LoadConfigFile(path string) (Config, error) {
	var c Config
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty file is a valid, all-default configuration.
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// envPrefix starts every environment variable the server reads.
const envPrefix = "BULWARK_"

// ApplyEnv overrides fields from BULWARK_* variables: BULWARK_LISTEN,
// BULWARK_DATA_DIR, BULWARK_TLS_CERT, BULWARK_TLS_KEY, BULWARK_INSECURE,
// BULWARK_RETENTION, BULWARK_SYSLOG_UDP, BULWARK_SYSLOG_TCP,
// BULWARK_SYSLOG_TLS, BULWARK_TAIL (comma-separated), BULWARK_RULES
// (comma-separated directories), BULWARK_LOG_LEVEL, BULWARK_LOG_FORMAT.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(envPrefix + name); v != "" {
			*dst = v
		}
	}
	list := func(name string, dst *[]string) {
		if v := getenv(envPrefix + name); v != "" {
			*dst = strings.Split(v, ",")
		}
	}
	str("LISTEN", &c.Listen)
	str("DATA_DIR", &c.DataDir)
	str("TLS_CERT", &c.TLSCert)
	str("TLS_KEY", &c.TLSKey)
	str("SYSLOG_UDP", &c.Syslog.UDP)
	str("SYSLOG_TCP", &c.Syslog.TCP)
	str("SYSLOG_TLS", &c.Syslog.TLS)
	str("LOG_LEVEL", &c.Log.Level)
	str("LOG_FORMAT", &c.Log.Format)
	list("TAIL", &c.Tail)
	list("RULES", &c.Rules.Dirs)
	c.applyClusterEnv(getenv)
	if v := getenv(envPrefix + "INSECURE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%sINSECURE: %w", envPrefix, err)
		}
		c.Insecure = b
	}
	if v := getenv(envPrefix + "RETENTION"); v != "" {
		if err := c.Retention.Set(v); err != nil {
			return fmt.Errorf("%sRETENTION: %w", envPrefix, err)
		}
	}
	return nil
}

// Duration is a time.Duration that also accepts days ("30d") in YAML,
// environment variables and flags.
type Duration time.Duration

// ParseDuration parses "30d", "12h", "90m" and the like.
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// Set implements pflag.Value.
func (d *Duration) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String implements pflag.Value.
func (d *Duration) String() string {
	v := time.Duration(*d)
	if v > 0 && v%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v/(24*time.Hour)), 10) + "d"
	}
	return v.String()
}

// Type implements pflag.Value.
func (d *Duration) Type() string { return "duration" }

// UnmarshalYAML accepts the same forms as Set.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	return d.Set(n.Value)
}
