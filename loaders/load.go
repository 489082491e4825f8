package loaders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
	"golang.org/x/sync/errgroup"
)

// Load opens the snapshot at url (see OpenFS) and loads it (see LoadFS).
func Load(ctx context.Context, url string, opts ...Option) (*snapshot.Snapshot, error) {
	fsys, err := openFS(ctx, url, newConfig(opts).gcs)
	if err != nil {
		return nil, err
	}
	snap, err := LoadFS(ctx, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("load snapshot %q: %w", url, err)
	}
	return snap, nil
}

// loader holds what every table read shares; it is read-only once the
// tables are being read.
type loader struct {
	cfg  config
	fsys fs.FS
	// remote: fsys is Cloud Storage, whose failures (after its retries)
	// are the storage's, transient, not the export's; and which reads the
	// generation it opened, so a rewrite fails the reads.
	remote bool
	man    snapshot.Manifest
	// failed is set once a read has ended in an error, a fatal finding or
	// a stop: the checks across tables, which run while the files are
	// read, are then not worth making (their findings will not count).
	failed atomic.Bool
}

// tableRead is the reading of one table file. Each goroutine of readTables
// owns one, so nothing in it is shared.
type tableRead struct {
	*loader
	t        snapshot.Table
	src      snapshot.TableSource
	hash     hash.Hash            // sha256 of the file's stored bytes
	raw      *rawTable            // nil after a fatal finding or an error
	err      error                // transient failure (context, storage)
	fatal    []snapshot.Finding   // DQ001 findings of this file
	fatalErr error                // their cause, if any
	openErr  bool                 // fatalErr is an open error: it replaces the causes of earlier tables
	stopped  *TooManyBadRowsError // the file was not read to its end: --max-bad-rows can no longer be met
	// ended is closed once the read has ended (raw, err and the fields
	// above are then set and no longer written), whatever its outcome.
	ended chan struct{}
	// read is what raw held when the read ended, before the checks across
	// tables (which run meanwhile) added to it: a load that stops early
	// reports that (stoppedEarly).
	read readState
}

// readState is what a table held when its read ended: how many findings,
// the counts of findings not listed one by one, and the rows excluded.
type readState struct {
	findings int
	unlisted map[findingKey]int
	excluded int
}

func stateOf(raw *rawTable) readState {
	st := readState{findings: len(raw.findings), unlisted: maps.Clone(raw.unlisted)}
	for _, b := range raw.bad {
		if b {
			st.excluded++
		}
	}
	return st
}

// LoadFS reads snapshot.yaml and every table it lists from fsys, validates
// them and returns the snapshot. Errors:
//   - *FatalError: DQ001, the snapshot is unusable;
//   - *TooManyBadRowsError: a table has more excluded rows than allowed;
//   - anything else: a transient failure (context cancelled, storage down).
//
// The tables are read concurrently (up to runtime.GOMAXPROCS(0) files at a
// time); the result, findings and errors are the same as if they were read
// one after another in snapshot.Tables order.
func LoadFS(ctx context.Context, fsys fs.FS, opts ...Option) (*snapshot.Snapshot, error) {
	_, remote := fsys.(*storage.GCSFS)
	l := &loader{cfg: newConfig(opts), fsys: fsys, remote: remote}
	data, err := l.readManifest(ctx)
	if err != nil {
		return nil, err
	}
	man, mfindings := ParseManifest(data)
	var fatal []snapshot.Finding
	for _, f := range mfindings {
		if f.Severity == snapshot.SeverityFatal {
			fatal = append(fatal, f)
		}
	}
	if len(fatal) == 0 {
		if f, ok := futureAsOf(man.AsOf, l.cfg.now()); ok {
			fatal = append(fatal, f)
		}
	}
	if len(fatal) > 0 {
		return nil, &FatalError{Findings: fatal}
	}
	l.man = man
	if fn := l.cfg.progress; fn != nil {
		var mu sync.Mutex
		l.cfg.progress = func(t snapshot.Table, rows int) {
			mu.Lock()
			defer mu.Unlock()
			fn(t, rows)
		}
	}

	// The checks across tables run while the files are read, each as soon
	// as the tables it reads are read (validate); their findings count
	// only once every file is read without a fatal finding or a stop.
	reads := l.tableReads()
	byTable := map[snapshot.Table]*tableRead{}
	for _, r := range reads {
		byTable[r.t] = r
	}
	snap := &snapshot.Snapshot{Manifest: man}
	validated := make(chan struct{})
	go func() {
		defer close(validated)
		validate(func(t snapshot.Table) *rawTable {
			r := byTable[t]
			if r == nil {
				return nil
			}
			<-r.ended
			return r.raw
		}, l.failed.Load, snap)
	}()
	err = l.readTables(ctx, reads)
	<-validated // before any record read is released, on every path
	if err != nil {
		for _, r := range reads {
			if r.raw != nil && r.raw.rec != nil {
				r.raw.rec.Release()
			}
			r.raw = nil
		}
		return nil, err
	}
	// Merge in table order, as the sequential loop did.
	raws := map[snapshot.Table]*rawTable{}
	var fatalErr error
	digest := sha256.New()
	digest.Write(data)
	for _, r := range reads {
		fatal = append(fatal, r.fatal...)
		if r.fatalErr != nil && (r.openErr || fatalErr == nil) {
			fatalErr = r.fatalErr
		}
		if r.raw != nil {
			raws[r.t] = r.raw
		}
		digest.Write(r.hash.Sum(nil))
	}
	release := func() {
		for _, r := range raws {
			if r.rec != nil {
				r.rec.Release()
			}
		}
	}
	if len(fatal) > 0 {
		release()
		sortFindings(fatal)
		return nil, &FatalError{Findings: fatal, Err: fatalErr}
	}
	if err := stoppedEarly(reads, raws, l.cfg.maxBad, mfindings); err != nil {
		release()
		return nil, err
	}
	snap.SHA256 = hex.EncodeToString(digest.Sum(nil))
	snap.Records, snap.Stats = map[snapshot.Table]arrow.Record{}, map[snapshot.Table]snapshot.TableStats{}
	snap.IgnoredColumns = map[snapshot.Table][]string{}
	snap.Findings = append(snap.Findings, mfindings...)

	var tooMany *TooManyBadRowsError
	for _, t := range snapshot.Tables() {
		raw := raws[t]
		if raw == nil {
			snap.Records[t] = emptyRecord(l.cfg, t)
			continue
		}
		raw.summariseUnlisted()
		snap.Findings = append(snap.Findings, raw.findings...)
		if len(raw.ignored) > 0 {
			snap.IgnoredColumns[t] = raw.ignored
		}
		st := snapshot.TableStats{Rows: raw.rows.len()}
		for _, b := range raw.bad {
			if b {
				st.Excluded++
			}
		}
		snap.Stats[t] = st
		if tooMany == nil && l.cfg.maxBad.Exceeded(st.Excluded, st.Rows) {
			tooMany = &TooManyBadRowsError{Table: t, Excluded: st.Excluded, Rows: st.Rows, Limit: l.cfg.maxBad}
		}
		rec, err := filterRecord(l.cfg, raw)
		raw.rec.Release()
		raw.rec = nil
		if err != nil {
			release()
			snap.Release()
			return nil, fmt.Errorf("filter table %s: %w", t, err)
		}
		snap.Records[t] = rec
	}
	sortFindings(snap.Findings)
	if tooMany != nil {
		tooMany.Findings = snap.Findings
		snap.Release()
		return nil, tooMany
	}
	return snap, nil
}

// tableReads returns one tableRead per table the manifest lists, in
// snapshot.Tables order.
func (l *loader) tableReads() []*tableRead {
	var reads []*tableRead
	for _, t := range snapshot.Tables() {
		if src, ok := l.man.Tables[t]; ok {
			reads = append(reads, &tableRead{loader: l, t: t, src: src, hash: sha256.New(), ended: make(chan struct{})})
		}
	}
	return reads
}

// readTables reads the tables of reads (tableReads), up to GOMAXPROCS files
// at a time, closing each one's ended when its read ends. The error is the
// one a sequential loop would return: that of the first table in
// snapshot.Tables order that fails. A failure stops the reads of the
// tables after it at once; the tables before it read on, because one of
// them may fail too, and its error comes first. On error the caller
// releases the records read.
func (l *loader) readTables(ctx context.Context, reads []*tableRead) error {
	ctxs := make([]context.Context, len(reads))
	cancels := make([]context.CancelFunc, len(reads))
	for i := range reads {
		ctxs[i], cancels[i] = context.WithCancel(ctx)
	}
	defer func() {
		for _, cancel := range cancels {
			cancel()
		}
	}()
	limit := l.cfg.readers
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	var g errgroup.Group
	g.SetLimit(limit)
	for i, r := range reads {
		g.Go(func() error {
			defer close(r.ended)
			if err := ctxs[i].Err(); err != nil {
				r.err = err
				return nil
			}
			r.raw, r.err = r.readTable(ctxs[i])
			if r.err != nil {
				for _, cancel := range cancels[i+1:] {
					cancel()
				}
			}
			if r.raw != nil {
				r.read = stateOf(r.raw)
			}
			if r.err != nil || len(r.fatal) > 0 || r.stopped != nil {
				l.failed.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no error: each is kept in its tableRead
	for _, r := range reads {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

func (l *tableRead) fatalf(t snapshot.Table, file string, row int, column, value, msg string) {
	l.fatal = append(l.fatal, snapshot.Finding{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal,
		Table: t, File: file, Row: row, Column: column, Value: clip(value), Message: msg})
}

func (l *loader) readManifest(ctx context.Context) ([]byte, error) {
	f, err := l.fsys.Open(ManifestFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &FatalError{Findings: []snapshot.Finding{{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal, File: ManifestFile,
				Message: "The snapshot folder has no snapshot.yaml: check the folder or bucket path."}}, Err: err}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if l.remote {
			// Cloud Storage failed (after its retries), not the export: a
			// transient error (exit code 1), not DQ001.
			return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
		}
		return nil, &FatalError{Findings: []snapshot.Finding{{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal, File: ManifestFile,
			Message: "The snapshot description (snapshot.yaml) cannot be opened: " + err.Error()}}, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(&capReader{r: f, n: DefaultMaxManifestBytes})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if l.remote && !errors.Is(err, errTooBig) {
			return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
		}
		msg := "The snapshot description (snapshot.yaml) cannot be read: " + err.Error()
		if errors.Is(err, errTooBig) {
			msg = fmt.Sprintf("The snapshot description (snapshot.yaml) is larger than %d KiB: it lists the tables, it does not hold data.", DefaultMaxManifestBytes>>10)
		}
		return nil, &FatalError{Findings: []snapshot.Finding{{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal, File: ManifestFile,
			Message: msg}}, Err: err}
	}
	return data, nil
}

// ioTracker remembers an error of the underlying storage, to tell a broken
// file from a broken network. Once ctx is done it reads no more: io.Reader
// has no context parameter, so the reader keeps the table's context.
type ioTracker struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (t *ioTracker) Read(p []byte) (int, error) {
	if err := t.ctx.Err(); err != nil {
		t.err = err
		return 0, err
	}
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// noClose hides Close from the parquet reader (we close the file ourselves).
type noClose struct{ parquet.ReaderAtSeeker }

// atTracker records the first storage error of the reads a Parquet reader
// makes by offset (from the table's goroutine and its prefetch goroutine),
// so that a Cloud Storage failure while decoding is reported as the
// transient error it is, not as a broken file. Reads past the end (io.EOF)
// and invalid offsets (a damaged footer) are the file's problem, not the
// storage's.
type atTracker struct {
	readerAtSeeker
	mu  sync.Mutex
	err error
}

func (t *atTracker) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.readerAtSeeker.ReadAt(p, off)
	if err != nil && err != io.EOF && !errors.Is(err, fs.ErrInvalid) {
		t.mu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.mu.Unlock()
	}
	return n, err
}

// failed is the first storage error of ReadAt, or nil.
func (t *atTracker) failed() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

type readerAtSeeker interface {
	io.ReaderAt
	io.ReadSeeker
}

// readTable reads the table file of l. A nil error with a nil table means a
// fatal finding was recorded. l.hash gets the file's stored bytes.
func (l *tableRead) readTable(ctx context.Context) (raw *rawTable, err error) {
	t, src := l.t, l.src
	file := src.Path
	format, gz, _ := formatOf(file)
	f, err := openFile(ctx, l.fsys, file)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, fs.ErrNotExist) {
			l.fatalf(t, file, 0, "", "", fmt.Sprintf("The file %s listed for the %s table does not exist.", file, t))
		} else {
			l.fatalf(t, file, 0, "", "", fmt.Sprintf("The file %s of the %s table cannot be opened (it may point outside the snapshot folder): %v", file, t, err))
		}
		l.fatalErr, l.openErr = err, true
		return nil, nil
	}
	defer f.Close()
	var stored int64
	if st, serr := f.Stat(); serr == nil {
		if st.IsDir() {
			l.fatalf(t, file, 0, "", "", fmt.Sprintf("%s is a folder, not the file of the %s table.", file, t))
			return nil, nil
		}
		stored = st.Size()
		if !l.remote {
			// Cloud Storage reads the generation it opened (a rewrite makes
			// the reads fail: a storage error); a local file is compared
			// before and after.
			defer func() { raw, err = l.unlessChanged(ctx, st, raw, err) }()
		}
	}
	limit := l.cfg.decompressedLimit(stored)
	track := &ioTracker{ctx: ctx, r: f}
	var at *atTracker // the Parquet reader's reads by offset
	fail := func(err error) (*rawTable, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if l.remote && track.err != nil {
			return nil, fmt.Errorf("read %s: %w", file, track.err)
		}
		if err := at.failed(); l.remote && err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		l.unreadable(err, limit, stored)
		return nil, nil
	}

	var rr rowReader
	if format == fmtParquet && !gz {
		ras, ok := f.(readerAtSeeker)
		if ok {
			if _, err := ras.Seek(0, io.SeekStart); err != nil {
				return fail(err)
			}
			track.r = ras
			if _, err := io.Copy(l.hash, &capReader{r: track, n: limit}); err != nil {
				return fail(err)
			}
			if _, err := ras.Seek(0, io.SeekStart); err != nil {
				return fail(err)
			}
			at = &atTracker{readerAtSeeker: ras}
			chunkBuffer := l.cfg.chunkBuffer
			if l.remote {
				chunkBuffer = 0 // a read of Cloud Storage is a request: whole chunks
			}
			pr, err := newParquetReader(ctx, file, noClose{at}, l.cfg.mem, chunkBuffer, func() error { return nil }, dictColumns(t)...)
			if err != nil {
				return fail(err)
			}
			rr = pr
		}
	}
	if rr == nil {
		raw := io.TeeReader(track, l.hash)
		defer io.Copy(io.Discard, raw) //nolint:errcheck // hash the rest of the file
		body, closeGz, err := decompress(raw, gz, limit)
		if err != nil {
			return fail(&ParseError{File: file, Err: err})
		}
		defer closeGz() //nolint:errcheck
		switch format {
		case fmtCSV, fmtTSV, fmtNDJSON:
			text, err := decodeText(body, src.Encoding)
			if err != nil {
				return fail(&ParseError{File: file, Err: err})
			}
			if format == fmtNDJSON {
				var names []string
				for _, c := range snapshot.Columns(t) {
					names = append(names, c.Name)
				}
				rr, err = newNDJSONReader(file, text, names, l.cfg.maxLine, func() error { return nil })
			} else {
				rr, err = newCSVReader(file, text, src.Delimiter, format == fmtTSV, l.cfg.maxLine, func() error { return nil })
			}
			if err != nil {
				return fail(err)
			}
		case fmtXLSX, fmtParquet:
			// Both need random access: the file is held in memory (bounded).
			data, err := io.ReadAll(body)
			if err != nil {
				return fail(&ParseError{File: file, Err: err})
			}
			if format == fmtXLSX {
				rr, err = newXLSXReader(file, data, src.Sheet, l.cfg.maxLine, limit)
			} else {
				rr, err = newParquetReader(ctx, file, bytesReader(data), l.cfg.mem, l.cfg.chunkBuffer, func() error { return nil }, dictColumns(t)...)
			}
			if err != nil {
				return fail(err)
			}
		}
	}
	defer rr.close() //nolint:errcheck // read-only

	tl, ok := l.prepare(t, file, src, format, rr)
	if !ok {
		return nil, nil
	}
	tl.maxBad, tl.bound = l.cfg.maxBad, fileRowBound(rr, format, gz, stored, limit, tl.hdrWidth)
	tl.most = limit
	if err := tl.read(ctx, rr); err != nil {
		var stop *TooManyBadRowsError
		if errors.As(err, &stop) {
			tl.out.summariseUnlisted()
			stop.Findings = tl.out.findings
			l.stopped = stop
			tl.release()
			return nil, nil
		}
		tl.release()
		return fail(err)
	}
	tl.finish(tl.mem)
	return tl.out, nil
}

// unreadable records the DQ001 finding of a table file that cannot be read
// (err: a *ParseError where the reader knows the place), and its cause.
func (l *tableRead) unreadable(err error, limit, stored int64) {
	t, file := l.t, l.src.Path
	row, col := 0, ""
	var pe *ParseError
	if errors.As(err, &pe) {
		row = pe.Row
		if pe.Column > 0 {
			col = fmt.Sprint(pe.Column)
		}
		err = pe.Err
	}
	msg := fmt.Sprintf("The file of the %s table cannot be read: %v.", t, err)
	switch {
	case errors.Is(err, errTooBig):
		msg = fmt.Sprintf("The file of the %s table is larger than the allowed %d bytes once uncompressed (%s).", t, limit, limitWhy(l.cfg, stored))
	case errors.Is(err, errLineTooLong):
		msg = fmt.Sprintf("The file of the %s table has a line (or cell) longer than the allowed %d bytes.", t, l.cfg.maxLine)
	}
	l.fatalf(t, file, row, "", col, msg)
	if l.fatalErr == nil {
		l.fatalErr = &ParseError{File: file, Row: row, Err: err}
	}
}

// fileRowBound is the most rows a table file can hold (-1: unknown), for
// tableLoader.stopEarly: a text file by its bytes (stored, or limit once
// inflated) and the least a row takes (hdrWidth separators and a line
// break; "{}\n" in NDJSON); an XLSX file by its sheet's size; a Parquet
// file by its footer.
func fileRowBound(rr rowReader, format format, gz bool, stored, limit int64, hdrWidth int) int {
	switch r := rr.(type) {
	case *xlsxReader:
		return r.bound
	case *parquetReader:
		// A Parquet file holds the rows its footer announces: a footer that
		// claims more only delays the stop, one that claims fewer fails
		// the read.
		if t := r.pf.NumRows(); t >= 0 && t < math.MaxInt32 {
			return int(t)
		}
		return -1
	}
	if format != fmtCSV && format != fmtTSV && format != fmtNDJSON {
		return -1
	}
	total := limit // the bytes it may inflate to
	if !gz && stored > 0 {
		total = min(total, stored)
	}
	minRow := 3 // {}\n
	if format != fmtNDJSON {
		minRow = hdrWidth // its separators and line break
	}
	return rowBound(total, minRow)
}

// ErrChanged is returned (wrapped) when a snapshot file changed while it
// was read (its size or modification time differ after the read): the
// export was being written. Transient: the next attempt reads it whole.
var ErrChanged = errors.New("the file changed while it was read (the export is being written?)")

// unlessChanged returns what reading the file of st gave, unless the file
// has changed since st (or is gone): then whatever it gave (rows, DQ001
// findings of a torn file, an early stop) is dropped for ErrChanged.
func (l *tableRead) unlessChanged(ctx context.Context, st fs.FileInfo, raw *rawTable, err error) (*rawTable, error) {
	if err != nil && !errors.Is(err, ErrChanged) || ctx.Err() != nil {
		return raw, err
	}
	now, serr := fs.Stat(l.fsys, l.src.Path)
	if serr == nil && now.Size() == st.Size() && now.ModTime().Equal(st.ModTime()) {
		return raw, err
	}
	if raw != nil && raw.rec != nil {
		raw.rec.Release()
	}
	l.fatal, l.fatalErr, l.openErr, l.stopped = nil, nil, false, nil
	return nil, fmt.Errorf("read %s: %w", l.src.Path, ErrChanged)
}

// limitWhy says where the decompressed size limit of a file of stored
// bytes comes from, for the DQ001 message.
func limitWhy(c config, stored int64) string {
	switch {
	case c.maxDecompressed > 0:
		return "the max-decompressed setting"
	case stored <= 0 || stored > DefaultMaxDecompressed/DefaultMaxExpansion:
		return "the default limit"
	}
	return fmt.Sprintf("%d times its %d stored bytes, or at least %d; the max-decompressed setting raises it", DefaultMaxExpansion, stored, MinDecompressed)
}
