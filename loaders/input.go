package loaders

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

var (
	errTooBig      = errors.New("file larger than the decompressed size limit")
	errLineTooLong = errors.New("line longer than the line length limit")
)

// capReader returns errTooBig instead of reading past n bytes.
type capReader struct {
	r io.Reader
	n int64 // bytes still allowed
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n - int(-c.n), errTooBig
	}
	return n, err
}

// rowBound is the most data rows a text file of at most total bytes can
// hold that are not excluded: each needs at least minRow bytes (its field
// separators and line break; the last may lack its line break). Excluded
// rows may be shorter, but they cannot help a table stay under
// --max-bad-rows, so the bound decides whether the limit can still be met.
func rowBound(total int64, minRow int) int {
	return int(min(total/int64(max(minRow, 1))+1, math.MaxInt32))
}

// lineReader counts physical lines and fails on a line longer than max.
type lineReader struct {
	r    io.Reader
	max  int
	cur  int // bytes of the current line so far
	line int // 1-based line of the last byte read
	err  error
}

func newLineReader(r io.Reader, max int) *lineReader { return &lineReader{r: r, max: max, line: 1} }

// Read fails for good once a line is too long (bufio may swallow one error).
func (l *lineReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	b := p[:n]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.cur += len(b)
			break
		}
		if l.cur+i > l.max {
			l.err = errLineTooLong
			return n, l.err
		}
		l.cur = 0
		l.line++
		b = b[i+1:]
	}
	if l.cur > l.max {
		l.err = errLineTooLong
		return n, l.err
	}
	return n, err
}

// decompress wraps r in gzip when gz, and caps the bytes read at max.
func decompress(r io.Reader, gz bool, max int64) (io.Reader, func() error, error) {
	if !gz {
		return &capReader{r: r, n: max}, func() error { return nil }, nil
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read gzip header: %w", err)
	}
	return &capReader{r: zr, n: max}, zr.Close, nil
}

// decodeText turns the bytes of a text file into UTF-8 without BOM. enc is
// "" (UTF-8, or UTF-16 when the file starts with a UTF-16 BOM), "utf-16"
// (BOM required) or "windows-1258".
func decodeText(r io.Reader, enc string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	switch enc {
	case "windows-1258":
		return transform.NewReader(br, charmap.Windows1258.NewDecoder()), nil
	case "utf-16":
		if len(head) < 2 || !(head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
			return nil, errors.New("the file is declared utf-16 but does not start with a byte order mark")
		}
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), nil
	}
	switch {
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		_, _ = br.Discard(3)
	case len(head) >= 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), nil
	}
	return br, nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
