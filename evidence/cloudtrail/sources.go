package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// LookupAPI is the part of the CloudTrail client Lookup uses.
type LookupAPI interface {
	LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

// S3API is the part of the S3 client ReadBucket uses.
type S3API interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// LookupRetention is how far back LookupEvents reaches.
const LookupRetention = 90 * 24 * time.Hour

// maxLogBytes bounds one decompressed log file (CloudTrail files are a few
// MiB at most); a larger one is an error, not a memory exhaustion.
const maxLogBytes = 256 << 20

// maxPages bounds every paginated read.
const maxPages = 100000

// Collector gathers events from any number of sources into one history.
type Collector struct {
	From, To time.Time
	// Now is the time LookupEvents' 90 days count back from; zero means time.Now.
	Now time.Time
	// LookupInterval spaces LookupEvents calls of one region (the API allows
	// 2 requests per second per account and region); 0 means 500ms, a
	// negative value no spacing (tests).
	LookupInterval time.Duration
	// Regions, when not empty, keeps only these regions' events (a
	// directory or an organization trail holds every region's).
	Regions []string

	events  []Event
	sources []string
	gaps    []Gap
	errs    []SourceError
}

func (c *Collector) now() time.Time {
	if c.Now.IsZero() {
		return time.Now().UTC()
	}
	return c.Now
}

func (c *Collector) fail(source string, err error) {
	c.errs = append(c.errs, SourceError{Source: source, Message: err.Error()})
}

// History builds the history of everything collected.
func (c *Collector) History() *History {
	events := c.events
	if len(c.Regions) > 0 {
		events = nil
		for _, e := range c.events {
			if contains(c.Regions, e.Region) {
				events = append(events, e)
			}
		}
	}
	h := &History{Kind: "sagefence-cloudtrail-history", FormatVersion: FormatVersion, Period: Period{c.From, c.To},
		Sources: append([]string{}, c.sources...), Resources: Build(events, c.From, c.To),
		Gaps: append([]Gap{}, c.gaps...), Errors: append([]SourceError{}, c.errs...)}
	h.Summarize()
	return h
}

// Lookup reads the region's SageMaker events with LookupEvents (one lookup
// attribute, EventSource; pages of 50). Time before the 90 days the API
// keeps is a gap. It returns an error only when ctx is cancelled.
func (c *Collector) Lookup(ctx context.Context, api LookupAPI, account, region string) error {
	source := "lookup-events " + region
	c.sources = append(c.sources, source)
	start, end := c.From, c.To
	if oldest := c.now().Add(-LookupRetention); start.Before(oldest) {
		gapEnd := oldest
		if end.Before(gapEnd) {
			gapEnd = end
		}
		c.gaps = append(c.gaps, Gap{From: start, To: gapEnd, Account: account, Region: region,
			Reason: "CloudTrail LookupEvents keeps 90 days: read older events from the trail's log files (--bucket or --dir)"})
		start = oldest
	}
	if !start.Before(end) {
		return nil
	}
	interval := c.LookupInterval
	if interval == 0 {
		interval = 500 * time.Millisecond
	}
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: sdkaws.String(eventSource)}},
		StartTime:        sdkaws.Time(start), EndTime: sdkaws.Time(end), MaxResults: sdkaws.Int32(50),
	}
	var last time.Time
	for page := 0; ; page++ {
		if page == maxPages {
			c.fail(source, fmt.Errorf("more than %d pages", maxPages))
			return nil
		}
		if wait := interval - time.Since(last); interval > 0 && !last.IsZero() && wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		last = time.Now()
		out, err := api.LookupEvents(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.fail(source, err)
			c.gaps = append(c.gaps, Gap{From: start, To: end, Account: account, Region: region, Reason: "LookupEvents failed: " + err.Error()})
			return nil
		}
		for _, ev := range out.Events {
			if _, ok := actions[sdkaws.ToString(ev.EventName)]; !ok {
				continue
			}
			e, ok, err := parseRecord(json.RawMessage(sdkaws.ToString(ev.CloudTrailEvent)), source)
			if err != nil {
				c.fail(source, err)
				continue
			}
			if ok {
				if e.Region == "" {
					e.Region = region
				}
				if e.Account == "" {
					e.Account = account
				}
				c.events = append(c.events, e)
			}
		}
		if sdkaws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

// ReadDir reads every CloudTrail log file (*.json.gz or *.json) under dir.
func (c *Collector) ReadDir(dir string) error {
	c.sources = append(c.sources, dir)
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("--dir %s is not a directory", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			c.fail(path, err)
			return nil
		}
		if d.Type().IsRegular() && (strings.HasSuffix(d.Name(), ".json.gz") || strings.HasSuffix(d.Name(), ".json")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			c.fail(file, err)
			continue
		}
		c.readLog(f, file)
		f.Close()
	}
	return nil
}

// logKey matches a trail's object key below the prefix: AWSLogs/[o-ORG/]
// ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file (shared/aws-facts.md §8.2).
var logKey = regexp.MustCompile(`(?:^|/)AWSLogs/(?:(o-[a-z0-9]+)/)?(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/[^/]+\.json(?:\.gz)?$`)

// ReadBucket reads the trail's log files under s3://bucket/prefix, for the
// accounts and regions found there (organization trails have an o-… level),
// listing only the days that can hold the period's events (delivery lags
// the event by minutes, so the day after To is read too). regions, when
// not empty, limits the regions read.
func (c *Collector) ReadBucket(ctx context.Context, api S3API, uri string, regions []string) error {
	bucket, prefix, err := ParseS3URI(uri)
	if err != nil {
		return err
	}
	c.sources = append(c.sources, uri)
	root := prefix + "AWSLogs/"
	tops, err := c.listDirs(ctx, api, bucket, root)
	if err != nil {
		return fmt.Errorf("%s: %w", uri, err)
	}
	var accountDirs []string
	for _, d := range tops {
		name := strings.TrimSuffix(strings.TrimPrefix(d, root), "/")
		switch {
		case strings.HasPrefix(name, "o-"):
			sub, err := c.listDirs(ctx, api, bucket, d)
			if err != nil {
				c.fail("s3://"+bucket+"/"+d, err)
				continue
			}
			accountDirs = append(accountDirs, sub...)
		case len(name) == 12:
			accountDirs = append(accountDirs, d)
		}
	}
	if len(accountDirs) == 0 {
		return fmt.Errorf("%s: no AWSLogs/<account>/ (or AWSLogs/o-…/<account>/) folder: is this a CloudTrail bucket and prefix?", uri)
	}
	for _, acct := range accountDirs {
		regionDirs, err := c.listDirs(ctx, api, bucket, acct+"CloudTrail/")
		if err != nil {
			c.fail("s3://"+bucket+"/"+acct, err)
			continue
		}
		for _, rd := range regionDirs {
			region := strings.TrimSuffix(strings.TrimPrefix(rd, acct+"CloudTrail/"), "/")
			if len(regions) > 0 && !contains(regions, region) {
				continue
			}
			for day := c.From.UTC().Truncate(24 * time.Hour); !day.After(c.To.Add(24 * time.Hour)); day = day.Add(24 * time.Hour) {
				dayPrefix := rd + day.Format("2006/01/02/")
				if err := c.readDay(ctx, api, bucket, dayPrefix); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					c.fail("s3://"+bucket+"/"+dayPrefix, err)
					c.gaps = append(c.gaps, Gap{From: day, To: day.Add(24 * time.Hour), Region: region,
						Account: path.Base(strings.TrimSuffix(acct, "/")),
						Reason:  "the day's log files could not be listed: " + err.Error()})
				}
			}
		}
	}
	return nil
}

// readDay reads every log object of one day prefix.
func (c *Collector) readDay(ctx context.Context, api S3API, bucket, prefix string) error {
	var token *string
	for page := 0; page < maxPages; page++ {
		out, err := api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String(bucket), Prefix: sdkaws.String(prefix), ContinuationToken: token})
		if err != nil {
			return err
		}
		for _, o := range out.Contents {
			key := sdkaws.ToString(o.Key)
			if !logKey.MatchString(key) {
				continue
			}
			source := "s3://" + bucket + "/" + key
			obj, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(key)})
			if err != nil {
				c.fail(source, err)
				continue
			}
			c.readLog(obj.Body, source)
			obj.Body.Close()
		}
		if !sdkaws.ToBool(out.IsTruncated) || sdkaws.ToString(out.NextContinuationToken) == "" {
			return nil
		}
		token = out.NextContinuationToken
	}
	return fmt.Errorf("more than %d pages", maxPages)
}

// listDirs lists the "folders" directly under prefix.
func (c *Collector) listDirs(ctx context.Context, api S3API, bucket, prefix string) ([]string, error) {
	var dirs []string
	var token *string
	for page := 0; page < maxPages; page++ {
		out, err := api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String(bucket), Prefix: sdkaws.String(prefix),
			Delimiter: sdkaws.String("/"), ContinuationToken: token})
		if err != nil {
			return nil, err
		}
		for _, p := range out.CommonPrefixes {
			dirs = append(dirs, sdkaws.ToString(p.Prefix))
		}
		if !sdkaws.ToBool(out.IsTruncated) || sdkaws.ToString(out.NextContinuationToken) == "" {
			return dirs, nil
		}
		token = out.NextContinuationToken
	}
	return nil, fmt.Errorf("more than %d pages", maxPages)
}

// readLog reads one log file, gzip-compressed or not: {"Records":[...]}.
func (c *Collector) readLog(r io.Reader, source string) {
	data, err := io.ReadAll(io.LimitReader(r, maxLogBytes+1))
	if err != nil {
		c.fail(source, err)
		return
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			c.fail(source, fmt.Errorf("not a gzip file: %w", err))
			return
		}
		data, err = io.ReadAll(io.LimitReader(zr, maxLogBytes+1))
		if err != nil {
			c.fail(source, fmt.Errorf("gzip: %w", err))
			return
		}
	}
	if len(data) > maxLogBytes {
		c.fail(source, fmt.Errorf("larger than %d MiB: not a CloudTrail log file", maxLogBytes>>20))
		return
	}
	var file struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		c.fail(source, fmt.Errorf("not a CloudTrail log file ({\"Records\":[...]}): %w", err))
		return
	}
	if file.Records == nil {
		c.fail(source, errors.New(`no "Records" array: not a CloudTrail log file`))
		return
	}
	for _, raw := range file.Records {
		e, ok, err := parseRecord(raw, source)
		if err != nil {
			c.fail(source, err)
			continue
		}
		if ok {
			c.events = append(c.events, e)
		}
	}
}

// ParseS3URI splits s3://bucket/prefix; the prefix, when not empty, ends in "/".
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("--bucket %q: want s3://bucket[/prefix]", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("--bucket %q: no bucket name", uri)
	}
	prefix = strings.TrimPrefix(prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if strings.HasSuffix(prefix, "AWSLogs/") {
		prefix = strings.TrimSuffix(prefix, "AWSLogs/")
	}
	return bucket, prefix, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
