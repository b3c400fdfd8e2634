// The xDS load bench's load client in Go (bench/lib/go-fleet.ts drives it): N simulated sidecars
// on ADS, each on its own connection, as bench/lib/sidecar.ts's are, at a fraction of their CPU
// (Istio's own load client, pilot-load, is Go for the same reason). It reads commands from stdin
// and writes events to stdout, one JSON object per line; times are CLOCK_MONOTONIC milliseconds,
// which Node's process.hrtime reads too.
//
//	load-client --address HOST:PORT --transport sotw|delta
//
// Commands:
//
//	{"op":"start","nodes":[{"id":...,"metadata":{...}}, ...]}  one sidecar per node, in order
//	{"op":"expect","key":K,"cluster":C,"ip":IP,"each":B}        every sidecar awaits the EDS response
//	                                                              listing IP in C's assignment
//	{"op":"bytes","req":R}                                       response bytes received so far
//
// Events: {"ev":"synced","id":I,"startedAt":T,"t":T,"holdings":{...},"syncBytes":N};
// {"ev":"seen","key":K,"id":I,"t":T} per sidecar for an expect with each, else {"ev":"done",
// "key":K,"t":T} once every sidecar has seen it, T the last; {"ev":"nack","id":I,"reason":S};
// {"ev":"failed","id":I,"message":S}; {"ev":"bytes","req":R,"total":N}. Closing stdin stops it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"sync"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// rawCodec passes requests and responses as bytes: the client encodes and reads them itself.
type rawCodec struct{}

// Marshal takes a request as bytes, or as pieces (a SotW request's shared names block).
func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if pieces, ok := v.(mem.BufferSlice); ok {
		return pieces, nil
	}
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*(v.(*[]byte)) = data.Materialize()
	return nil
}

// Name is the content subtype: "proto", what every server expects of ADS.
func (rawCodec) Name() string { return "proto" }

func monoMs() float64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return float64(ts.Sec)*1e3 + float64(ts.Nsec)/1e6
}

func formatWrong(wrong, all int, typeURL string) string {
	return fmt.Sprintf("%d of %d resources are not of type %s", wrong, all, typeURL)
}

var (
	internMu sync.Mutex
	interned = map[string]string{}
	blocks   = map[string][]byte{}
)

// intern keeps one copy of each resource name: two thousand sidecars hold the same thousand.
func intern(b []byte) string {
	internMu.Lock()
	defer internMu.Unlock()
	if s, ok := interned[string(b)]; ok {
		return s
	}
	s := string(b)
	interned[s] = s
	return s
}

// internBlock shares encoded name lists by content, as bench/lib/requests.ts does.
func internBlock(b []byte) []byte {
	internMu.Lock()
	defer internMu.Unlock()
	if known, ok := blocks[string(b)]; ok {
		return known
	}
	blocks[string(b)] = b
	return b
}

// pending counts the sidecars yet to see an expect without each, and the last one's time.
type pending struct {
	left int
	last float64
}

type fleet struct {
	delta   bool
	desc    *grpc.StreamDesc
	method  string
	clients []*client
	events  chan any
	mu      sync.Mutex
	all     map[int64]*pending
}

func (f *fleet) emit(ev any) { f.events <- ev }

func (f *fleet) syncedAt(c *client, t float64) {
	f.emit(map[string]any{"ev": "synced", "id": c.id, "startedAt": c.startedAt, "t": t, "holdings": c.holdings(), "syncBytes": c.syncBytes})
}

func (f *fleet) seen(key int64, id int, t float64) {
	f.mu.Lock()
	p := f.all[key]
	if p == nil {
		f.mu.Unlock()
		f.emit(map[string]any{"ev": "seen", "key": key, "id": id, "t": t})
		return
	}
	p.last = math.Max(p.last, t)
	p.left--
	done := p.left == 0
	if done {
		delete(f.all, key)
	}
	f.mu.Unlock()
	if done {
		f.emit(map[string]any{"ev": "done", "key": key, "t": p.last})
	}
}

func (f *fleet) nack(id int, reason string) {
	f.emit(map[string]any{"ev": "nack", "id": id, "reason": reason})
}

func (f *fleet) failed(id int, err error) {
	f.emit(map[string]any{"ev": "failed", "id": id, "message": fmt.Sprint(err)})
}

type command struct {
	Op    string `json:"op"`
	Nodes []struct {
		ID       string         `json:"id"`
		Metadata map[string]any `json:"metadata"`
	} `json:"nodes"`
	Key     int64  `json:"key"`
	Cluster string `json:"cluster"`
	IP      string `json:"ip"`
	Each    bool   `json:"each"`
	Req     int64  `json:"req"`
}

// firstRequest is the CDS request that opens a stream and carries the node, as Envoy's does.
func firstRequest(id string, metadata map[string]any, delta bool) ([]byte, error) {
	md, err := structpb.NewStruct(metadata)
	if err != nil {
		return nil, err
	}
	node := &core.Node{Id: id, Metadata: md}
	if delta {
		return proto.Marshal(&discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: typeCluster})
	}
	return proto.Marshal(&discovery.DiscoveryRequest{Node: node, TypeUrl: typeCluster})
}

func main() {
	address := flag.String("address", "", "the server's ADS address, HOST:PORT (plaintext)")
	transport := flag.String("transport", "sotw", "sotw or delta")
	flag.Parse()
	if *address == "" || (*transport != "sotw" && *transport != "delta") {
		log.Fatal("usage: load-client --address HOST:PORT --transport sotw|delta")
	}
	f := &fleet{delta: *transport == "delta", events: make(chan any, 4096), all: map[int64]*pending{}}
	f.desc = &grpc.StreamDesc{StreamName: "StreamAggregatedResources", ServerStreams: true, ClientStreams: true}
	f.method = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
	if f.delta {
		f.desc.StreamName = "DeltaAggregatedResources"
		f.method = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"
	}

	written := make(chan struct{})
	go func() {
		out := bufio.NewWriterSize(os.Stdout, 1<<16)
		enc := json.NewEncoder(out)
		for ev := range f.events {
			if err := enc.Encode(ev); err != nil {
				log.Fatal(err)
			}
			if len(f.events) == 0 {
				_ = out.Flush()
			}
		}
		_ = out.Flush()
		close(written)
	}()

	ctx, stop := context.WithCancel(context.Background())
	var running sync.WaitGroup
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<30)
	for in.Scan() {
		var cmd command
		if err := json.Unmarshal(in.Bytes(), &cmd); err != nil {
			log.Fatalf("command %q: %v", in.Text(), err)
		}
		switch cmd.Op {
		case "start":
			for _, n := range cmd.Nodes {
				first, err := firstRequest(n.ID, n.Metadata, f.delta)
				if err != nil {
					log.Fatalf("node %s: %v", n.ID, err)
				}
				// Each sidecar on a connection of its own, as separate Envoys would be.
				conn, err := grpc.NewClient("passthrough:///"+*address,
					grpc.WithTransportCredentials(insecure.NewCredentials()),
					grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32)))
				if err != nil {
					log.Fatal(err)
				}
				c := &client{id: len(f.clients), fleet: f, node: first, watches: map[string][]watch{}}
				f.clients = append(f.clients, c)
				running.Add(1)
				go func() {
					defer running.Done()
					defer conn.Close()
					c.run(ctx, conn)
				}()
			}
		case "expect":
			if !cmd.Each {
				f.mu.Lock()
				f.all[cmd.Key] = &pending{left: len(f.clients)}
				f.mu.Unlock()
			}
			for _, c := range f.clients {
				c.expect(cmd.Cluster, watch{ip: cmd.IP, key: cmd.Key})
			}
		case "bytes":
			var total int64
			for _, c := range f.clients {
				total += c.bytes.Load()
			}
			f.emit(map[string]any{"ev": "bytes", "req": cmd.Req, "total": total})
		default:
			log.Fatalf("unknown command %q", cmd.Op)
		}
	}
	stop()
	running.Wait()
	close(f.events)
	<-written
}
