package server

import (
	"bufio"
	"compress/gzip"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// compressMinBytes is the smallest response compressResponses gzips:
// below it the gzip header and the CPU cost more than they save.
const compressMinBytes = 1024

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// compressResponses gzips responses of at least compressMinBytes for
// clients that accept gzip (GraphQL answers are JSON, which shrinks to a
// fifth or less). It buffers up to compressMinBytes to decide, so small
// answers go out as they are; it leaves alone responses that already have
// a Content-Encoding, and passes Flush through, so streamed answers keep
// streaming. Vary: Accept-Encoding is always set.
func compressResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Method == http.MethodHead || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (by
// name or "*", with a non-zero quality).
func acceptsGzip(values []string) bool {
	star, named := false, false
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			token, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			token = strings.ToLower(strings.TrimSpace(token))
			if token != "gzip" && token != "*" {
				continue
			}
			ok := true
			if k, q, found := strings.Cut(strings.TrimSpace(params), "="); found && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
				ok = err == nil && f > 0
			}
			if token == "gzip" {
				if !ok {
					return false
				}
				named = true
			} else {
				star = ok
			}
		}
	}
	return named || star
}

// compressWriter holds back the status and the first compressMinBytes of
// the body until it knows whether to compress.
type compressWriter struct {
	http.ResponseWriter
	status  int
	buf     []byte
	gz      *gzip.Writer
	decided bool
}

func (c *compressWriter) WriteHeader(status int) {
	if c.status == 0 && !c.decided {
		c.status = status
		if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified {
			c.decide(false) // no body to compress
		}
	}
}

func (c *compressWriter) Write(p []byte) (int, error) {
	if !c.decided {
		if len(c.buf)+len(p) < compressMinBytes {
			c.buf = append(c.buf, p...)
			return len(p), nil
		}
		h := c.Header()
		c.decide(h.Get("Content-Encoding") == "" && !precompressed(h.Get("Content-Type")))
	}
	if c.gz != nil {
		return c.gz.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// precompressed reports whether a content type is compressed already.
func precompressed(ctype string) bool {
	ctype, _, _ = strings.Cut(ctype, ";")
	switch strings.TrimSpace(strings.ToLower(ctype)) {
	case "application/gzip", "application/zip", "application/zstd", "image/png", "image/jpeg", "image/webp", "font/woff2":
		return true
	}
	return false
}

// decide sends the header, compressed or not, and what was buffered.
func (c *compressWriter) decide(compress bool) {
	c.decided = true
	if compress {
		h := c.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		c.gz = gzipWriters.Get().(*gzip.Writer)
		c.gz.Reset(c.ResponseWriter)
	}
	if c.status != 0 {
		c.ResponseWriter.WriteHeader(c.status)
	}
	if len(c.buf) > 0 {
		buf := c.buf
		c.buf = nil
		if c.gz != nil {
			_, _ = c.gz.Write(buf)
		} else {
			_, _ = c.ResponseWriter.Write(buf)
		}
	}
}

// Flush sends what was written so far (compressed if it is compressing).
func (c *compressWriter) Flush() {
	if !c.decided {
		c.decide(false)
	}
	if c.gz != nil {
		_ = c.gz.Flush()
	}
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack passes through to the connection (after which nothing is
// compressed).
func (c *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c.decided = true
	return http.NewResponseController(c.ResponseWriter).Hijack()
}

func (c *compressWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// close ends the response: a short body goes out as it is.
func (c *compressWriter) close() {
	if !c.decided {
		c.decide(false)
	}
	if c.gz != nil {
		_ = c.gz.Close()
		c.gz.Reset(nil)
		gzipWriters.Put(c.gz)
		c.gz = nil
	}
}
