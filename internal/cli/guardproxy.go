package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/guard"
	"github.com/bulwarkhq/bulwark/guard/proxy"
)

// guardProxyOptions are the flags of 'bulwark guard proxy'.
type guardProxyOptions struct {
	upstream       string
	listen         string
	policy         string
	keysFile       string
	auditFile      string
	rate           float64
	burst          int
	upstreamKeyEnv string
	tlsCert        string
	tlsKey         string
	maxBody        int64
	hashKey        bool
}

// newGuardProxyCmd builds 'bulwark guard proxy'. build turns a policy file
// ("" for the default policy) into a Guard with the scanners wired in; the
// parent guard command owns that wiring.
func newGuardProxyCmd(e *env, build func(policyPath string) (*guard.Guard, error)) *cobra.Command {
	var o guardProxyOptions
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Guard an LLM app: an OpenAI-compatible proxy that scans requests and answers",
		Long: `Proxy sits between your application and any OpenAI-compatible API (OpenAI,
Azure OpenAI, vLLM, Ollama, llama.cpp). Point the app's base URL at it.

Every request to /v1/chat/completions, /v1/responses, /v1/completions and
/v1/embeddings is split into system prompt, user turns, tool results and
assistant turns, and checked under the policy: injection and jailbreaks are
blocked (400, code content_blocked), secrets and personal data are redacted
before they leave, obfuscation is flagged (header X-Bulwark-Guard: flagged).
Answers are scanned too; a streamed answer that starts to leak a secret or an
exfiltration link is cut with finish_reason "content_filter".
GET /v1/models is passed through; other routes are refused.

Clients authenticate with keys listed in --keys (YAML or JSON list of
{name, app, sha256}; make the hash with --hash-key). Without --keys the proxy
only serves clients on this machine. It listens on 127.0.0.1 unless given
TLS (--tls-cert, --tls-key). The upstream key comes from the environment
variable named by --upstream-key-env; without it each client's own
Authorization header is forwarded.

Prometheus metrics are served at /metrics; --audit appends one JSON line per
request (key, endpoint, model, action, findings without the matched text,
latency, upstream status).`,
		Example: `  # Guard a local app in front of OpenAI, with the key in OPENAI_API_KEY
  bulwark guard proxy --upstream https://api.openai.com/v1 --upstream-key-env OPENAI_API_KEY
  export OPENAI_BASE_URL=http://127.0.0.1:8090/v1

  # Hash a client key for the keys file
  printf '%s' "$CLIENT_KEY" | bulwark guard proxy --hash-key

  # Serve the network over TLS with keys, a policy, an audit trail and a rate limit
  bulwark guard proxy --upstream http://vllm:8000/v1 --listen 0.0.0.0:8443 \
    --tls-cert proxy.crt --tls-key proxy.key --keys keys.yaml \
    --policy guard.yaml --audit guard-audit.jsonl --rate 5 --burst 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.hashKey {
				return hashClientKey(e)
			}
			return runGuardProxy(cmd.Context(), e, &o, build)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.upstream, "upstream", "", "base URL of the OpenAI-compatible API, e.g. https://api.openai.com/v1 (required)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:8090", "address to listen on")
	f.StringVar(&o.policy, "policy", "", "guard policy file (YAML; default: the built-in policy)")
	f.StringVar(&o.keysFile, "keys", "", "client keys file: YAML or JSON list of {name, app, sha256}")
	f.StringVar(&o.auditFile, "audit", "", "append one JSON line per request to this file")
	f.Float64Var(&o.rate, "rate", 0, "requests per second allowed per key (0: no limit)")
	f.IntVar(&o.burst, "burst", 0, "requests a key may send at once above --rate (default: the rate, at least 1)")
	f.StringVar(&o.upstreamKeyEnv, "upstream-key-env", "", "environment variable holding the upstream API key")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM)")
	f.Int64Var(&o.maxBody, "max-body", proxy.DefaultMaxRequestBytes, "largest request body accepted, in bytes")
	f.BoolVar(&o.hashKey, "hash-key", false, "read a client key on stdin and print its entry for the keys file")
	_ = cmd.MarkFlagFilename("policy", "yml", "yaml")
	_ = cmd.MarkFlagFilename("keys", "yml", "yaml", "json")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	return cmd
}

// hashClientKey prints the keys-file entry for the key read on stdin, so
// the key itself never has to be written down.
func hashClientKey(e *env) error {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return usagef("--hash-key reads the key on stdin, e.g. printf '%%s' \"$KEY\" | bulwark guard proxy --hash-key")
	}
	key := strings.TrimSpace(line)
	if key == "" {
		return usagef("--hash-key: the key on stdin is empty")
	}
	fmt.Fprintf(e.stdout, "- name: CHANGEME\n  app: CHANGEME\n  sha256: %s\n", proxy.HashKey(key))
	return nil
}

// check validates the flags that decide who can reach the proxy.
func (o *guardProxyOptions) check() error {
	if o.upstream == "" {
		return usagef("--upstream is required, e.g. --upstream https://api.openai.com/v1")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return usagef("--listen %q: %v", o.listen, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && o.tlsCert == "" {
		return usagef("--listen %s is reachable from the network: give --tls-cert and --tls-key, or listen on 127.0.0.1", o.listen)
	}
	if !loopback && o.keysFile == "" {
		return usagef("--listen %s is reachable from the network: give --keys so only known clients get in", o.listen)
	}
	if o.rate < 0 || o.burst < 0 {
		return usagef("--rate and --burst cannot be negative")
	}
	return nil
}

func runGuardProxy(ctx context.Context, e *env, o *guardProxyOptions, build func(string) (*guard.Guard, error)) error {
	if err := o.check(); err != nil {
		return err
	}
	var keys []proxy.Key
	if o.keysFile != "" {
		f, err := os.Open(o.keysFile)
		if err != nil {
			return usageError{err}
		}
		keys, err = proxy.ParseKeys(f)
		f.Close()
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", o.keysFile, err)}
		}
	}
	var upstreamKey string
	if o.upstreamKeyEnv != "" {
		if upstreamKey = os.Getenv(o.upstreamKeyEnv); upstreamKey == "" {
			return usagef("--upstream-key-env: the environment variable %s is empty", o.upstreamKeyEnv)
		}
	}
	g, err := build(o.policy)
	if err != nil {
		return usageError{fmt.Errorf("policy: %w", err)}
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg := proxy.Config{Upstream: o.upstream, UpstreamKey: upstreamKey, Guard: g, Keys: keys,
		RatePerSecond: o.rate, Burst: o.burst, MaxRequestBytes: o.maxBody, Registerer: reg, Logger: log}
	if o.auditFile != "" {
		a, err := proxy.OpenJSONLAuditor(o.auditFile)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		defer a.Close()
		cfg.Auditor = a
	}
	p, err := proxy.New(cfg)
	if err != nil {
		return usageError{err}
	}

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", p)
	// No write timeout: a streamed answer may run for minutes.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	mode := fmt.Sprintf("%d client keys", len(keys))
	if len(keys) == 0 {
		mode = "open to local clients (no --keys)"
	}
	fmt.Fprintf(e.stderr, "Guard proxy listening on %s://%s, forwarding to %s, %s. Stop with Ctrl-C.\n", scheme, ln.Addr(), o.upstream, mode)

	served := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			served <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Give streams in flight a while to finish, then close what is left.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
