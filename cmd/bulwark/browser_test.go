package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium (or another Chrome), or skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: install Debian's chromium package (.ci/run does) to run the browser test")
	return ""
}

// TestBrowser drives the web UI of a real server in headless Chromium as an
// analyst would: log in, see the demo's cases, open one, follow an entity,
// set a verdict and close the case. No page may log a console error or
// send a request anywhere but the server. Screenshots of each page go to
// $BULWARK_ARTIFACTS (or a temporary folder named in the log).
func TestBrowser(t *testing.T) {
	browser := chromium(t)
	srv := startServer(t, t.TempDir(), "--demo")
	admin := srv.admin()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var cs struct {
			Cases []struct{ ID int64 } `json:"cases"`
		}
		if admin.do("GET", "/api/v1/cases", nil, &cs) == http.StatusOK && len(cs.Cases) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo opened no case")
		}
		time.Sleep(500 * time.Millisecond)
	}

	shots := os.Getenv("BULWARK_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "bulwark-ui-screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	base, _ := url.Parse(srv.Base)
	var mu sync.Mutex
	var problems []string
	// Listen starts the browser; the context it gets must have no timeout,
	// or the timeout would end the browser.
	err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, "console error")
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				problems = append(problems, "browser log: "+e.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(e.Request.URL); err == nil && u.Scheme != "data" && u.Host != base.Host {
				problems = append(problems, "request to "+e.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()

	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	do(chromedp.Navigate(srv.Base+"/"), chromedp.WaitVisible(`input[name=user]`))
	shot("1-login")
	do(chromedp.SendKeys(`input[name=user]`, "admin"),
		chromedp.SendKeys(`input[name=password]`, srv.Password()),
		chromedp.Click(`.login button`),
		chromedp.WaitVisible(`a.case`))
	shot("2-cases")
	do(chromedp.Click(`a.case`), chromedp.WaitVisible(`form.work`))
	caseText := text(`main`)
	caseURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	shot("3-case")
	do(chromedp.Click(`a.entity`), chromedp.WaitVisible(`table.list`))
	alertsTitle := text(`h1`)
	shot("4-entity")
	do(chromedp.Navigate(caseURL), chromedp.WaitVisible(`form.work`),
		chromedp.SetValue(`select[name=status]`, "closed"),
		chromedp.SetValue(`select[name=verdict]`, "true-positive"),
		chromedp.Click(`form.work button`),
		chromedp.WaitVisible(`form.work`))
	// The form may still be the old page's while the new one loads, and
	// reading a node being replaced fails ("No node with given id
	// found"): read until the page after the post answers.
	var closedText string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		s, err := chromedp.Run(ctx, chromedp.Text(`p.sub`))
		if err == nil {
			if closedText = s; strings.Contains(s, "closed (") {
				break
			}
		}
	}
	shot("5-closed")

	if !strings.Contains(caseText, "Why it ranks here") || !strings.Contains(caseText, "Timeline") {
		t.Errorf("case page:\n%s", caseText)
	}
	if !strings.HasPrefix(alertsTitle, "host ") {
		t.Errorf("entity page title %q, want the host's page", alertsTitle)
	}
	if !strings.Contains(closedText, "closed (true-positive)") {
		t.Errorf("after closing: %q", closedText)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the pages misbehaved: %v", problems)
	}
}
