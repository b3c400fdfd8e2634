// The peer Mast's xDS benchmark compares against: go-control-plane's reference ADS server (SotW
// and delta) serving the resources Mast translated for the benchmark's proxy class, read from a
// ResourceSet JSON file (bench/xds-load.ts writes it). SIGHUP re-reads the file and sets a new
// snapshot, which is how the benchmark's endpoint change reaches this server.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Every benchmark client belongs to one proxy class, so one snapshot serves them all, as Mast
// shares one view per class.
type oneNode struct{}

func (oneNode) ID(*core.Node) string { return "bench" }

const snapshotKey = "bench"

// The ResourceSet shape of src/translate/types.ts: Envoy resources as proto3 JSON.
type named struct {
	Name string          `json:"name"`
	JSON json.RawMessage `json:"json"`
}

type resourceSet struct {
	Clusters  []named `json:"clusters"`
	Endpoints []named `json:"endpoints"`
	Listeners []named `json:"listeners"`
	Routes    []named `json:"routes"`
}

func main() {
	xdsAddr := flag.String("xds-address", "127.0.0.1:18000", "gRPC ADS listen address")
	adminAddr := flag.String("admin-address", "127.0.0.1:18001", "HTTP address serving /readyz")
	file := flag.String("resources", "", "ResourceSet JSON to serve (re-read on SIGHUP)")
	flag.Parse()
	if *file == "" {
		log.Fatal("peer: -resources is required")
	}

	ctx := context.Background()
	snapshots := cachev3.NewSnapshotCache(true, oneNode{}, nil)
	if err := load(ctx, snapshots, *file); err != nil {
		log.Fatalf("peer: %v", err)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if err := load(ctx, snapshots, *file); err != nil {
				log.Printf("peer: reload failed, still serving the previous snapshot: %v", err)
			}
		}
	}()

	grpcServer := grpc.NewServer(
		grpc.MaxConcurrentStreams(1<<20),
		grpc.MaxRecvMsgSize(16<<20),
		// Envoy pings idle ADS connections; the default policy would close them as abusive.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	discovery.RegisterAggregatedDiscoveryServiceServer(grpcServer, serverv3.NewServer(ctx, snapshots, nil))
	lis, err := net.Listen("tcp", *xdsAddr)
	if err != nil {
		log.Fatalf("peer: %v", err)
	}

	var ready atomic.Bool
	admin := http.NewServeMux()
	admin.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, `{"status":"ready"}`)
	})
	adminLis, err := net.Listen("tcp", *adminAddr)
	if err != nil {
		log.Fatalf("peer: %v", err)
	}
	go func() { log.Fatal(http.Serve(adminLis, admin)) }()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		grpcServer.Stop()
	}()

	ready.Store(true)
	if err := grpcServer.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		log.Fatalf("peer: %v", err)
	}
}

// load reads the whole file again, as a control plane rebuilding its snapshot from its inputs
// would, and replaces the snapshot.
func load(ctx context.Context, snapshots cachev3.SnapshotCache, file string) error {
	started := time.Now()
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var set resourceSet
	if err := json.Unmarshal(data, &set); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	snap := &cachev3.Snapshot{}
	for _, part := range []struct {
		typeURL string
		items   []named
	}{
		{resourcev3.ClusterType, set.Clusters},
		{resourcev3.EndpointType, set.Endpoints},
		{resourcev3.ListenerType, set.Listeners},
		{resourcev3.RouteType, set.Routes},
	} {
		items, err := decodeAll(part.typeURL, part.items)
		if err != nil {
			return err
		}
		// One version per type, as Mast versions each type: an endpoint change then re-sends EDS
		// only, instead of every type a single snapshot-wide version would drag along.
		snap.Resources[cachev3.GetResponseType(part.typeURL)] = cachev3.NewResources(typeVersion(part.items), items)
	}
	if err := snap.Consistent(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := snapshots.SetSnapshot(ctx, snapshotKey, snap); err != nil {
		return err
	}
	log.Printf("peer: snapshot of %d clusters, %d endpoints, %d listeners, %d routes set in %v",
		len(set.Clusters), len(set.Endpoints), len(set.Listeners), len(set.Routes), time.Since(started).Round(time.Millisecond))
	return nil
}

func decodeAll(typeURL string, items []named) ([]types.Resource, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
	if err != nil {
		return nil, err
	}
	out := make([]types.Resource, 0, len(items))
	for _, it := range items {
		msg := mt.New().Interface()
		if err := protojson.Unmarshal(it.JSON, msg); err != nil {
			return nil, fmt.Errorf("%s %q: %w", typeURL, it.Name, err)
		}
		if got := nameOf(msg); got != it.Name {
			return nil, fmt.Errorf("%s %q carries the name %q", typeURL, it.Name, got)
		}
		out = append(out, msg.(types.Resource))
	}
	return out, nil
}

// Clusters and listeners name themselves in `name`, endpoints in `cluster_name`, routes in `name`.
func nameOf(msg proto.Message) string {
	fields := msg.ProtoReflect().Descriptor().Fields()
	f := fields.ByName("name")
	if f == nil {
		f = fields.ByName("cluster_name")
	}
	if f == nil || f.Kind() != protoreflect.StringKind {
		return ""
	}
	return msg.ProtoReflect().Get(f).String()
}

func typeVersion(items []named) string {
	h := sha256.New()
	for _, it := range items {
		h.Write([]byte(it.Name))
		h.Write([]byte{0})
		h.Write(it.JSON)
		h.Write([]byte{'\n'})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:12]
}
