// Package storage is the program's one layer between a URL and bytes: it
// opens a URL as a Bucket (a small, portable set of operations on objects
// that the report publisher needs, with the same guarantees on a local
// folder and on Google Cloud Storage), as a read-only fs.FS (the snapshot
// the loaders read), or reads one file (params, waivers, a policy bundle).
// It imports none of the program's stages.
//
// # URLs
//
//	./reports, /var/reports       a local folder (created when missing)
//	file:///var/reports           the same, as a URL
//	gs://bucket/prefix            a GCS bucket, keys under prefix/
//
// ParseURL is the only parser of these URLs; Open, OpenFS and ReadFile take
// what it returns (a Location). For gs:// the real
// cloud.google.com/go/storage client is used with the ambient credentials
// (Workload Identity on GKE). STORAGE_EMULATOR_HOST points it at an
// emulator such as fake-gcs-server.
//
// # One client configuration
//
// Every Cloud Storage client, of a Bucket or of a file system, is made by
// the same constructor from GCSOptions: JSON reads, an HTTP client whose
// requests wait at most RequestTimeout (DefaultRequestTimeout) for an
// answer, and one Retry (DefaultRetry unless the options say otherwise):
// reports, snapshot, policies, params and waivers give up after the same
// number of attempts.
//
// # Reading a snapshot
//
// OpenFS gives a local folder through os.OpenRoot (no name or symbolic link
// reaches outside it) and gs:// as a *GCSFS, whose files implement
// io.ReaderAt and io.Seeker with ranged reads: a Parquet reader fetches its
// footer and the column chunks it decodes, not the whole object. A file
// reads the generation it opened.
//
// # Contract
//
// Keys are clean relative slash paths; no element may start with "." (see
// CheckKey). Objects are written whole: a reader sees the old bytes or the
// new bytes, never a part.
//
//   - Create(key, data, false) fails with ErrPrecondition when the object
//     exists: run files are never silently replaced. Create(key, data, true)
//     replaces it (a retried run with the same run id).
//   - Swap(key, data, gen) replaces the object only while its generation is
//     still gen (0: only if absent), else ErrPrecondition. ReadGen returns a
//     generation to use. This is how latest.json moves without lost updates:
//     read, decide, swap, and on ErrPrecondition read again.
//   - Read of an absent object fails with ErrNotExist (errors.Is).
//   - Dir and GCS also have CreateFrom(key, write, overwrite): Create with
//     the bytes written by a function as it makes them (a report.json of
//     126 MB is never whole in memory). A write that fails leaves no
//     object; the function may be called again from the start (GCS retries
//     a write whole).
//
// # Local folders
//
// Writes go to a synced temporary file in the same folder, then a rename
// (replace) or a hard link (does-not-exist, atomic on POSIX). Generations
// are a counter in a sidecar file moved under flock(2); see Dir.
//
// Durability: Create and Swap return once the object and its folder entry
// are on disk. A run folder's thousands of files are instead written with
// Dir.CreateUnsynced (atomic for readers, but not yet durable) and made
// durable together by one Dir.SyncFolder (syncfs(2) on Linux, an fsync per
// file elsewhere) before the publisher writes manifest.json with Create and
// moves latest.json with Swap. A crash before that sync can lose or
// shorten some files of a folder that has no manifest yet, which is an
// unfinished run anyway (rewritten by a retry); latest.json only ever
// points at a folder whose files were durable before its manifest was
// written.
//
// # GCS
//
// Conditional writes use ifGenerationMatch (0 for does-not-exist). Transient
// failures (408, 429, 5xx, connection resets, EOF) are retried as Retry
// says: the client's RetryAlways policy for reads and lists, the driver's
// own loop for writes, recognising its own earlier attempt after a lost
// answer. See GCS and GCSOptions.
//
// # Example
//
//	b, err := storage.Open(ctx, "gs://vwu-reports/thai-binh")
//	if err != nil { return err }
//	defer b.Close()
//	if err := b.Create(ctx, "runs/2024-09-30/r1/report.json", data, false); err != nil { return err }
//	old, gen, err := b.ReadGen(ctx, "latest.json")
//	...
//	err = b.Swap(ctx, "latest.json", pointer, gen) // errors.Is(err, storage.ErrPrecondition): re-read
//
// The storagetest sub-package runs fake-gcs-server behind a fault-injecting
// proxy for tests.
package storage
