// Command podtool is the real node's test workload, one static binary:
//
//	podtool serve PORT TEXT   HTTP server: GET / answers "TEXT from HOSTNAME", one log line a request
//	podtool get URL           prints the body of GET URL; exit 1 on error or a non-200 status
//	podtool lookup NAME       prints NAME's addresses, resolved through /etc/resolv.conf
//	podtool write FILE TEXT   writes TEXT to FILE
//	podtool read FILE         prints FILE
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "podtool: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: podtool serve PORT TEXT | get URL | lookup NAME | write FILE TEXT | read FILE")
	}
	args := os.Args[2:]
	need := func(n int) {
		if len(args) != n {
			fail("%s: expected %d argument(s), got %d", os.Args[1], n, len(args))
		}
	}
	switch os.Args[1] {
	case "serve":
		need(2)
		serve(args[0], args[1])
	case "get":
		need(1)
		client := http.Client{Timeout: 5 * time.Second}
		resp, err := client.Get(args[0])
		if err != nil {
			fail("get %s: %v", args[0], err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			fail("get %s: reading the body: %v", args[0], err)
		}
		os.Stdout.Write(body)
		if resp.StatusCode != http.StatusOK {
			fail("get %s: HTTP %d", args[0], resp.StatusCode)
		}
	case "lookup":
		need(1)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, args[0])
		if err != nil {
			fail("lookup %s: %v", args[0], err)
		}
		for _, a := range addrs {
			fmt.Println(a)
		}
	case "write":
		need(2)
		if err := os.WriteFile(args[0], []byte(args[1]), 0o644); err != nil {
			fail("write: %v", err)
		}
	case "read":
		need(1)
		data, err := os.ReadFile(args[0])
		if err != nil {
			fail("read: %v", err)
		}
		os.Stdout.Write(data)
	default:
		fail("unknown command %q", os.Args[1])
	}
}

func serve(port, text string) {
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("%s %s %s from %s\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "%s from %s\n", text, host)
	})
	server := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(ctx)
	}()
	fmt.Printf("serving %q on :%s\n", text, port)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fail("serve: %v", err)
	}
}
