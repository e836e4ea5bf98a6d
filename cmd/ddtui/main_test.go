package main

import (
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/cmd/internal/connect"
	"github.com/deardiary/deardiary-go/daemon"
)

// The app refreshes on a file as on a daemon, every --refresh, and knows
// the ddd flags that reach the same data for the restore command it copies.
func TestAppContext(t *testing.T) {
	t.Parallel()
	o, err := parse([]string{"--refresh", "500ms", "--lower-better", "cost,+gain", "runs.db"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx := appContext(o, &connect.Conn{Source: "runs.db"})
	abs, _ := filepath.Abs("runs.db")
	if !ctx.Live || ctx.Refresh != 500*time.Millisecond || !slices.Equal(ctx.Reach, []string{"--db", abs}) {
		t.Fatalf("file: live %v every %v, reach %q", ctx.Live, ctx.Refresh, ctx.Reach)
	}
	if !ctx.LowerIsBetter("train_cost") || ctx.LowerIsBetter("loss_gain") || !ctx.LowerIsBetter("val_loss") || ctx.LowerIsBetter("accuracy") {
		t.Fatal("--lower-better is not applied")
	}
	ctx = appContext(o, &connect.Conn{Source: "http://127.0.0.1:9000", Client: &daemon.Client{}})
	if !slices.Equal(ctx.Reach, []string{"--server", "http://127.0.0.1:9000"}) {
		t.Fatalf("daemon: reach %q", ctx.Reach)
	}
	o, _ = parse([]string{"--refresh", "0"}, func(string) string { return "" }, io.Discard)
	if appContext(o, &connect.Conn{Source: "x.db"}).Live {
		t.Fatal("--refresh 0 still refreshes")
	}
}
