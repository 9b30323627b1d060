package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

// hecBatch renders n HEC envelopes whose events carry seq values from
// first.
func hecBatch(sender, first, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"time":%d,"host":"sender-%d","event":{"Channel":"Security","EventID":4624,"Computer":"sender-%d","seq":"%d-%d","LogonType":3,"TargetUserName":"svc-backup","IpAddress":"10.0.0.%d"}}`+"\n",
			time.Now().Unix(), sender, sender, sender, first+i, (first+i)%250)
	}
	return b.Bytes()
}

// TestCrashLosesNothingAcknowledged kills the server with SIGKILL while
// several senders stream events over HEC, restarts it, and checks that
// every event the server acknowledged (answered 200 for) is stored.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	ingest := srv.admin().newToken("crash-ingest", "ingest")

	const senders, batch = 8, 200
	var acked sync.Map // "sender-seq" -> true
	var nAcked, nSent, nRefused atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; ; i += batch {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", srv.Base+"/services/collector/event", bytes.NewReader(hecBatch(s, i, batch)))
				req.Header.Set("Authorization", "Splunk "+ingest.token)
				nSent.Add(batch)
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					nRefused.Add(batch)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				for j := range batch {
					acked.Store(fmt.Sprintf("%d-%d", s, i+j), true)
				}
				nAcked.Add(batch)
			}
		})
	}
	time.Sleep(3 * time.Second)
	srv.Kill()
	close(stop)
	wg.Wait()

	// Read the store the killed server left, as the restarted one will.
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	err = st.ScanEvents(context.Background(), store.EventFilter{}, func(se *store.StoredEvent) error {
		stored[se.GetString("seq")] = true
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	acked.Range(func(k, _ any) bool {
		if !stored[k.(string)] {
			missing++
		}
		return true
	})
	t.Logf("sent %d, acknowledged %d, refused %d, stored %d, acknowledged but missing %d",
		nSent.Load(), nAcked.Load(), nRefused.Load(), len(stored), missing)
	if nAcked.Load() == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}
	if missing > 0 {
		t.Errorf("%d acknowledged events lost in the crash", missing)
	}

	// The restarted server opens the same data and finishes detection.
	srv2 := startServer(t, dir)
	tok := srv2.loginAfterRestart(t, dir)
	s := tok.waitIngested(int64(len(stored)), 2*time.Minute)
	if s.Events != int64(len(stored)) {
		t.Errorf("restarted server counts %d events, the store held %d", s.Events, len(stored))
	}
}

// loginAfterRestart gets an admin client on a restarted server, whose
// first-start password was printed by the earlier process: it creates a
// token directly in the store the way an operator's recovery would not
// need to, so the test does not depend on the old process's output.
func (p *proc) loginAfterRestart(t *testing.T, dir string) *client {
	t.Helper()
	return p.tokenClient(t, dir, "viewer")
}

// tokenClient makes a token by the CLI's own path (bulwark token create)
// when the server is running.
func (p *proc) tokenClient(t *testing.T, dir, role string) *client {
	t.Helper()
	out, err := runCLI(t, "token", "create", "--data", dir, "--role", role, "--name", "test-"+role+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		t.Fatalf("bulwark token create: %v\n%s", err, out)
	}
	var res struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("token create output %q: %v", out, err)
	}
	return &client{t: t, base: p.Base, http: &http.Client{Timeout: time.Minute}, token: res.Secret}
}
