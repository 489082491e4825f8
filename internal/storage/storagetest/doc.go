// Package storagetest runs fake-gcs-server in process behind a real HTTP
// listener with a fault-injecting reverse proxy in front, for tests of the
// GCS driver and of anything that publishes through it.
//
//	srv := storagetest.NewServer(t, "reports")
//	b := srv.Open(t, "prefix")        // a *storage.GCS talking through the proxy
//	srv.Proxy.SetPlan(storagetest.FailAt(3, storagetest.Fault503, false))
package storagetest
