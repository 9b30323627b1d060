package ioc

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
)

// The benchmarks run against a deterministic feed of a million
// indicators of mixed types and a stream of realistic events, about 1% of
// which carry an indicator's value:
//
//	go test -run XXX -bench 1M -benchtime 2000000x -cpu 1 ./intel/ioc
//
// The events are a pool of 4096 (a few MB), cycled through: the pipeline
// runs detection on a batch it has just decoded, so events are usually in
// cache; a pool many times the cache size costs about a fifth more per
// event, the time of reading them from memory.
//
// Run one benchmark per process for the peak-rss-MB metric, which is the
// process's high-water mark (VmHWM) and so includes generating the feed.

const (
	benchIndicators = 1_000_000
	benchEvents     = 4096
)

// feed is the generated intel: its indicators are generated again each
// time they are compiled, as a reader streams a feed, so that the
// process's memory is the Set's and not a slice of a million
// intel.Indicator values as well. It keeps samples of each type's values
// to plant in events.
type feed struct {
	n                               int
	ips, domains, urls, md5s, mails []string
	nets                            []string // an address inside each CIDR
}

// maxSamples bounds the values kept per type for planting in events.
const maxSamples = 8192

var benchFeed = sync.OnceValue(func() *feed {
	f := &feed{n: benchIndicators}
	for range f.generate(true) {
	}
	return f
})

// indicators yields the feed's million indicators, the same every time.
func (f *feed) indicators() iter.Seq[intel.Indicator] { return f.generate(false) }

func randHex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
}

var words = strings.Fields("alpha bravo cdn update secure login mail static api portal files dl web cloud sync auth news shop track pay")
var tlds = strings.Fields("com net org info biz xyz top ru cn io")

func randDomain(r *rand.Rand) string {
	return words[r.IntN(len(words))] + strconv.Itoa(r.IntN(1_000_000)) + "-" + words[r.IntN(len(words))] + "." + tlds[r.IntN(len(tlds))]
}

// generate yields f.n indicators: 30% IPv4, 5% CIDRs, 3% IPv6, 25%
// domains, 12% URLs, 20% digests (some as MD5 OR SHA-256 pairs), 5%
// e-mail. With sample set, it keeps the first values of each type in f.
func (f *feed) generate(sample bool) iter.Seq[intel.Indicator] {
	return func(yield func(intel.Indicator) bool) {
		r := rand.New(rand.NewPCG(1, 2))
		keep := func(to *[]string, v string) {
			if sample && len(*to) < maxSamples {
				*to = append(*to, v)
			}
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		sources := []string{"taxii:abuse-feed", "taxii:isac", "file:local.json"}
		tlps := []intel.TLP{intel.TLPClear, intel.TLPGreen, intel.TLPAmber}
		for range f.n {
			var pat string
			switch p := r.IntN(100); {
			case p < 30:
				ip := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), r.IntN(256))
				keep(&f.ips, ip)
				pat = "[ipv4-addr:value = '" + ip + "']"
			case p < 35:
				bits := 22 + r.IntN(9)
				a := r.Uint32() | 1<<24
				mask := ^uint32(0) << (32 - bits)
				a &= mask
				pat = fmt.Sprintf("[ipv4-addr:value ISSUBSET '%d.%d.%d.%d/%d']", a>>24, a>>16&255, a>>8&255, a&255, bits)
				in := a | 1
				keep(&f.nets, fmt.Sprintf("%d.%d.%d.%d", in>>24, in>>16&255, in>>8&255, in&255))
			case p < 38:
				pat = "[ipv6-addr:value = '2001:db8:" + strconv.FormatUint(uint64(r.Uint32()&0xffff), 16) + "::" + strconv.FormatUint(uint64(r.Uint32()&0xffff), 16) + "']"
			case p < 63:
				d := randDomain(r)
				keep(&f.domains, d)
				pat = "[domain-name:value = '" + d + "']"
			case p < 75:
				u := "http://" + randDomain(r) + "/" + words[r.IntN(len(words))] + "/" + randHex(r, 6) + ".php"
				keep(&f.urls, u)
				pat = "[url:value = '" + u + "']"
			case p < 85:
				h := randHex(r, 16)
				keep(&f.md5s, h)
				pat = "[file:hashes.'SHA-256' = '" + randHex(r, 32) + "'] OR [file:hashes.MD5 = '" + h + "']"
			case p < 90:
				pat = "[file:hashes.'SHA-1' = '" + randHex(r, 20) + "']"
			case p < 95:
				pat = "[file:hashes.'SHA-256' = '" + randHex(r, 32) + "']"
			default:
				m := words[r.IntN(len(words))] + strconv.Itoa(r.IntN(1_000_000)) + "@" + randDomain(r)
				keep(&f.mails, m)
				pat = "[email-addr:value = '" + m + "']"
			}
			in := intel.Indicator{
				ID:          "indicator--" + randHex(r, 4) + "-" + randHex(r, 2) + "-4" + randHex(r, 2)[1:] + "-8" + randHex(r, 2)[1:] + "-" + randHex(r, 6),
				Pattern:     pat,
				PatternType: "stix",
				ValidFrom:   from,
				Confidence:  r.IntN(101),
				TLP:         tlps[r.IntN(len(tlps))],
				Source:      sources[r.IntN(len(sources))],
			}
			if !yield(in) {
				return
			}
		}
	}
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

func randIP(r *rand.Rand) string {
	return fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256))
}

func publicIP(r *rand.Rand) string {
	return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), r.IntN(256))
}

var benignHosts = strings.Fields("www.microsoft.com login.microsoftonline.com update.googleapis.com cdn.jsdelivr.net github.com api.slack.com outlook.office365.com s3.amazonaws.com")

// genEvents makes a mix of Sysmon process creation (1), network
// connection (3), DNS query (22) and web-proxy events, about 1% of them
// carrying an indicator's value.
func genEvents(f *feed, n int) []event.Event {
	r := rand.New(rand.NewPCG(3, 4))
	evs := make([]event.Event, n)
	t := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for i := range evs {
		e := &evs[i]
		e.Time = t.Add(time.Duration(i) * time.Millisecond)
		bad := r.IntN(100) == 0
		s := func(k, v string) { e.Add(k, event.String(v)) }
		common := func(id int) {
			e.Add("EventID", event.Int(int64(id)))
			s("Provider_Name", "Microsoft-Windows-Sysmon")
			s("Channel", "Microsoft-Windows-Sysmon/Operational")
			s("Computer", "ws-"+strconv.Itoa(r.IntN(500))+".corp.example")
			s("UtcTime", e.Time.Format("2006-01-02 15:04:05.000"))
			s("ProcessGuid", "{"+randHex(r, 16)+"}")
			e.Add("ProcessId", event.Int(int64(r.IntN(60000))))
			s("Image", `C:\Program Files\App\app`+strconv.Itoa(r.IntN(50))+".exe")
			s("User", `CORP\user`+strconv.Itoa(r.IntN(2000)))
		}
		switch r.IntN(4) {
		case 0: // process creation
			common(1)
			s("CommandLine", `"C:\Program Files\App\app.exe" --flag `+randHex(r, 4))
			s("CurrentDirectory", `C:\Users\user\`)
			s("IntegrityLevel", "Medium")
			md5 := randHex(r, 16)
			if bad {
				md5 = pick(r, f.md5s)
			}
			s("Hashes", "SHA1="+strings.ToUpper(randHex(r, 20))+",MD5="+strings.ToUpper(md5)+",SHA256="+strings.ToUpper(randHex(r, 32))+",IMPHASH="+strings.ToUpper(randHex(r, 16)))
			s("ParentProcessGuid", "{"+randHex(r, 16)+"}")
			s("ParentImage", `C:\Windows\explorer.exe`)
			s("ParentCommandLine", `C:\Windows\explorer.exe`)
		case 1: // network connection
			common(3)
			s("Protocol", "tcp")
			s("Initiated", "true")
			s("SourceIsIpv6", "false")
			s("SourceIp", randIP(r))
			s("SourceHostname", "ws.corp.example")
			e.Add("SourcePort", event.Int(int64(49152+r.IntN(16000))))
			dst := publicIP(r)
			if bad {
				if r.IntN(2) == 0 {
					dst = pick(r, f.ips)
				} else {
					dst = pick(r, f.nets)
				}
			}
			s("DestinationIsIpv6", "false")
			s("DestinationIp", dst)
			s("DestinationHostname", pick(r, benignHosts))
			e.Add("DestinationPort", event.Int(443))
		case 2: // DNS query
			common(22)
			q := strconv.Itoa(r.IntN(100)) + "." + pick(r, benignHosts)
			if bad {
				q = "www." + pick(r, f.domains)
			}
			s("QueryName", q)
			s("QueryStatus", "0")
			s("QueryResults", "type:  5 "+pick(r, benignHosts)+";::ffff:"+publicIP(r)+";")
		default: // web proxy
			host := pick(r, benignHosts)
			u := "https://" + host + "/path/" + randHex(r, 5) + "?q=" + randHex(r, 3)
			if bad {
				switch r.IntN(3) {
				case 0:
					u = pick(r, f.urls)
				case 1:
					s("sender", pick(r, f.mails))
				default:
					host = pick(r, f.domains)
					u = "https://" + host + "/x"
				}
			}
			s("c-ip", randIP(r))
			s("cs-username", "user"+strconv.Itoa(r.IntN(2000)))
			s("cs-method", "GET")
			s("url", u)
			s("Host", host)
			s("cs(User-Agent)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
			e.Add("sc-status", event.Int(200))
			e.Add("sc-bytes", event.Int(int64(r.IntN(100000))))
			s("s-ip", publicIP(r))
		}
	}
	return evs
}

// vmHWM returns the process's peak resident set in MB, 0 where /proc is
// not there.
func vmHWM() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkCompile1M compiles the million indicators (generating them is
// part of the time); set-B/ind is what the compiled set holds per
// indicator, its compact copy of the indicator included.
func BenchmarkCompile1M(b *testing.B) {
	f := benchFeed()
	before := heapAlloc()
	var s *Set
	cpu0 := cpuTime()
	for b.Loop() {
		s = nil
		var r Report
		s, r = CompileSeq(f.indicators(), f.n, Options{})
		if r.Compiled != f.n {
			b.Fatalf("report %+v", r)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	after := heapAlloc()
	b.ReportMetric(float64(after-before)/float64(f.n), "set-B/ind")
	b.ReportMetric(float64(after)/(1<<20), "heap-MB")
	b.ReportMetric(vmHWM(), "peak-rss-MB")
	runtime.KeepAlive(s)
}

// BenchmarkMatch1M matches events against the compiled million.
func BenchmarkMatch1M(b *testing.B) {
	f := benchFeed()
	s, r := CompileSeq(f.indicators(), f.n, Options{})
	if r.Compiled != f.n {
		b.Fatalf("report %+v", r)
	}
	heap := float64(heapAlloc()) / (1 << 20) // the set, before the events
	evs := genEvents(f, benchEvents)
	m := s.NewMatcher()
	hits := make([]Hit, 0, 8)
	total := 0
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	i := 0
	for b.Loop() {
		hits = m.Match(&evs[i], hits[:0])
		total += len(hits)
		if i++; i == len(evs) {
			i = 0
		}
	}
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	// On a shared box wall time includes waiting for a CPU; the process's
	// CPU time (GC included) is what one core would spend.
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(total)/float64(b.N)*100, "hit%")
	b.ReportMetric(heap, "heap-MB")
	b.ReportMetric(vmHWM(), "peak-rss-MB")
	runtime.KeepAlive(s)
	runtime.KeepAlive(evs)
}
