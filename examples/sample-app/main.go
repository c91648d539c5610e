// Command server is the shop example's sample app: /healthz, /readyz, /version, `/` (the call
// chain web → api → db), and /records (stored by the db role on its volume).
//
// Environment: PORT (default 8080), ROLE, VERSION (default: the version linked in with
// -ldflags "-X main.version=..."), UPSTREAM (base URL of the next component) or UPSTREAM_NAME
// (a dependency whose <NAME>_HOST and <NAME>_PORT Ferry injects),
// DATA_DIR (store records there), FAIL_READINESS=1 or READINESS_FAIL_FILE (fail /readyz on
// purpose), SHUTDOWN_DELAY (seconds /readyz fails before the server closes on SIGTERM).
// `server migrate` is a stand-in migration for hook Jobs: exits 0, or 1 with MIGRATE_FAIL=1.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

var version = "dev"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "version") {
		fmt.Println(version)
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "migrate" {
		os.Exit(Migrate(os.Getenv, version, os.Stdout))
	}
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	cfg := ConfigFromEnv(os.Getenv, version)
	server, err := NewServer(cfg)
	if err != nil {
		return err
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	delay := 0.0
	if text := os.Getenv("SHUTDOWN_DELAY"); text != "" {
		if delay, err = strconv.ParseFloat(text, 64); err != nil || delay < 0 {
			return fmt.Errorf("SHUTDOWN_DELAY %q: expected seconds", text)
		}
	}
	listener, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: server.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("%s %s listening on :%s (upstream %q, data dir %q)", cfg.Role, cfg.Version, port, cfg.Upstream, cfg.DataDir)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- httpServer.Serve(listener) }()
	select {
	case err := <-done:
		return err
	case sig := <-stop:
		server.Stopping()
		log.Printf("%s: not ready any more, closing in %.1fs", sig, delay)
		time.Sleep(time.Duration(delay * float64(time.Second)))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := httpServer.Shutdown(ctx); err != nil {
			return err
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
