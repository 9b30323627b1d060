package enrich

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/supply"
)

// ParseEPSS reads FIRST's EPSS scores: CSV, plain or gzip-compressed
// (detected by its magic bytes), as published in
// epss_scores-YYYY-MM-DD.csv.gz: an optional comment line
// "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z", a header
// naming the columns cve, epss and percentile, then one row per CVE.
// A row with a malformed CVE id, a score or percentile outside [0, 1] or a
// repeated CVE is rejected and listed with its line number.
func ParseEPSS(r io.Reader) ([]supply.EPSS, Source, error) {
	src := Source{Name: SourceEPSS}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, src, fmt.Errorf("epss: gzip: %w", err)
		}
		defer gz.Close()
		br = bufio.NewReader(gz)
	}
	scanner := bufio.NewScanner(br)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)

	var (
		line                 int
		cveCol, epssCol, pct = -1, -1, -1
		scoreDate            string
		entries              []supply.EPSS
		seen                 = map[string]bool{}
	)
	for scanner.Scan() {
		line++
		text := strings.TrimSpace(strings.TrimPrefix(scanner.Text(), "\ufeff"))
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			version, date := parseEPSSComment(text)
			if version != "" {
				src.Version = version
			}
			if date != "" {
				scoreDate = date
			}
			continue
		}
		cols := strings.Split(text, ",")
		if cveCol < 0 {
			for i, name := range cols {
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "cve":
					cveCol = i
				case "epss":
					epssCol = i
				case "percentile":
					pct = i
				}
			}
			if cveCol < 0 || epssCol < 0 || pct < 0 {
				return nil, src, fmt.Errorf("epss: line %d: header must name cve, epss and percentile, got %q", line, text)
			}
			continue
		}
		entry, reason := parseEPSSRow(cols, cveCol, epssCol, pct)
		if reason == "" && seen[entry.CVE] {
			reason = "CVE listed more than once"
		}
		if reason != "" {
			src.reject(Reject{Line: line, ID: entry.CVE, Reason: reason})
			continue
		}
		seen[entry.CVE] = true
		entry.Date = scoreDate
		entries = append(entries, entry)
	}
	if err := scanner.Err(); err != nil {
		return nil, src, fmt.Errorf("epss: line %d: %w", line+1, err)
	}
	if cveCol < 0 {
		return nil, src, fmt.Errorf("epss: no header line (cve,epss,percentile)")
	}
	if len(entries) == 0 {
		return nil, src, fmt.Errorf("epss: no valid rows (%d rejected)", src.Rejects)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].CVE < entries[j].CVE })
	src.SourceDate = scoreDate
	src.Entries = len(entries)
	return entries, src, nil
}

// parseEPSSComment reads "#model_version:v2023.03.01,score_date:2023-03-06T00:00:00+0000"
// and returns the model version and the score date as YYYY-MM-DD.
func parseEPSSComment(text string) (version, date string) {
	for _, field := range strings.Split(strings.TrimPrefix(text, "#"), ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(field), ":")
		switch key {
		case "model_version":
			version = value
		case "score_date":
			date = value
			if len(value) >= 10 {
				if _, err := time.Parse(time.DateOnly, value[:10]); err == nil {
					date = value[:10]
				}
			}
		}
	}
	return version, date
}

func parseEPSSRow(cols []string, cveCol, epssCol, pctCol int) (supply.EPSS, string) {
	need := max(cveCol, epssCol, pctCol)
	if len(cols) <= need {
		return supply.EPSS{}, fmt.Sprintf("%d columns, want at least %d", len(cols), need+1)
	}
	entry := supply.EPSS{CVE: strings.TrimSpace(cols[cveCol])}
	if !cvePattern.MatchString(entry.CVE) {
		return entry, fmt.Sprintf("%q is not CVE-YYYY-NNNN", entry.CVE)
	}
	var err error
	if entry.Score, err = parseProbability(cols[epssCol]); err != nil {
		return entry, "epss " + err.Error()
	}
	if entry.Percentile, err = parseProbability(cols[pctCol]); err != nil {
		return entry, "percentile " + err.Error()
	}
	return entry, ""
}

func parseProbability(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f >= 0 && f <= 1) { // also refuses NaN
		return 0, fmt.Errorf("%q is not a number in [0, 1]", s)
	}
	return f, nil
}
