// The hand-read fields of wire.go against messages go-control-plane's generated types encode, so
// a wrong field number shows here rather than as a bench that never syncs. Run by
// test/bench/load-client.test.ts.
package main

import (
	"slices"
	"testing"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSotwResponse(t *testing.T) {
	eds := &cluster.Cluster{Name: "outbound|80||a", ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS},
		EdsClusterConfig: &cluster.Cluster_EdsClusterConfig{ServiceName: "eds-a"}}
	edsOwnName := &cluster.Cluster{Name: "b", ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS}}
	static := &cluster.Cluster{Name: "BlackHoleCluster", ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_STATIC}}
	b := mustMarshal(t, &discovery.DiscoveryResponse{VersionInfo: "v7", Nonce: "n3", TypeUrl: typeCluster,
		Resources: []*anypb.Any{mustAny(t, eds), mustAny(t, edsOwnName), mustAny(t, static)}})
	r, err := readResponse(b, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.version != "v7" || r.nonce != "n3" || r.typeURL != typeCluster || len(r.resources) != 3 || misTyped(r) != 0 {
		t.Fatalf("read %+v", r)
	}
	for i, want := range [][2]string{{"outbound|80||a", "eds-a"}, {"b", "b"}, {"BlackHoleCluster", ""}} {
		name, e := clusterNames(r.resources[i])
		if string(name) != want[0] || string(e) != want[1] || (want[1] == "") != (e == nil) {
			t.Errorf("cluster %d: %q %q, want %q", i, name, e, want)
		}
	}
	// A Listener among clusters is what Envoy would reject.
	b = mustMarshal(t, &discovery.DiscoveryResponse{TypeUrl: typeCluster, Resources: []*anypb.Any{mustAny(t, eds), mustAny(t, &listener.Listener{Name: "l"})}})
	if r, _ = readResponse(b, false); misTyped(r) != 1 {
		t.Errorf("misTyped: %d, want 1", misTyped(r))
	}
	// A length prefix running past the end.
	if _, err := readResponse([]byte{2<<3 | 2, 100, 1}, false); err == nil {
		t.Error("a truncated response was read")
	}
}

func TestDeltaResponse(t *testing.T) {
	cla := &endpoint.ClusterLoadAssignment{ClusterName: "outbound|80||a", Endpoints: []*endpoint.LocalityLbEndpoints{{
		LbEndpoints: []*endpoint.LbEndpoint{socketEndpoint("10.0.0.1"), socketEndpoint("10.0.0.2")},
	}, {LbEndpoints: []*endpoint.LbEndpoint{socketEndpoint("10.0.1.9")}}}}
	b := mustMarshal(t, &discovery.DeltaDiscoveryResponse{Nonce: "n1", TypeUrl: typeEndpoint, RemovedResources: []string{"gone"},
		Resources: []*discovery.Resource{{Name: "outbound|80||a", Version: "1", Resource: mustAny(t, cla)}}})
	r, err := readResponse(b, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.nonce != "n1" || r.typeURL != typeEndpoint || len(r.resources) != 1 || !slices.Equal(r.removed, []string{"gone"}) || misTyped(r) != 0 {
		t.Fatalf("read %+v", r)
	}
	// A Resource whose Any runs past its end: undecodable, as Envoy would find it.
	var bad []byte
	bad = protowire.AppendTag(bad, 2, protowire.BytesType)
	bad = protowire.AppendBytes(bad, []byte{2<<3 | 2, 3, 1<<3 | 2, 100, 'x'})
	if _, err := readResponse(bad, true); err == nil {
		t.Error("a delta Resource with a truncated Any was read")
	}
	if got := string(resourceName(r.resources[0])); got != "outbound|80||a" {
		t.Errorf("name %q", got)
	}
	if got := endpointAddresses(r.resources[0]); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.2", "10.0.1.9"}) {
		t.Errorf("addresses %q", got)
	}
}

func socketEndpoint(ip string) *endpoint.LbEndpoint {
	return &endpoint.LbEndpoint{HostIdentifier: &endpoint.LbEndpoint_Endpoint{Endpoint: &endpoint.Endpoint{Address: &core.Address{
		Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{Address: ip, PortSpecifier: &core.SocketAddress_PortValue{PortValue: 80}}}}}}}
}

func TestRouteConfigNames(t *testing.T) {
	manager := func(route string) *listener.Filter {
		return &listener.Filter{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listener.Filter_TypedConfig{TypedConfig: mustAny(t, &hcm.HttpConnectionManager{
			RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{RouteConfigName: route}}})}}
	}
	l := &listener.Listener{Name: "0.0.0.0_15001",
		FilterChains:       []*listener.FilterChain{{Filters: []*listener.Filter{manager("80")}}, {Filters: []*listener.Filter{{Name: "tcp"}}}},
		DefaultFilterChain: &listener.FilterChain{Filters: []*listener.Filter{manager("8080")}}}
	b := mustMarshal(t, &discovery.DiscoveryResponse{TypeUrl: typeListener, Resources: []*anypb.Any{mustAny(t, l)}})
	r, err := readResponse(b, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range routeConfigNames(r.resources[0]) {
		names = append(names, string(n))
	}
	if !slices.Equal(names, []string{"80", "8080"}) || string(resourceName(r.resources[0])) != "0.0.0.0_15001" {
		t.Errorf("routes %q of %q", names, resourceName(r.resources[0]))
	}
}

func TestRequests(t *testing.T) {
	var sotw discovery.DiscoveryRequest
	req := withError(sotwRequest(typeEndpoint, namesField([]string{"a", "b"}), "v1", "n1").Materialize(), false, 3, "bad")
	if err := proto.Unmarshal(req, &sotw); err != nil {
		t.Fatal(err)
	}
	if sotw.VersionInfo != "v1" || sotw.ResponseNonce != "n1" || sotw.TypeUrl != typeEndpoint || !slices.Equal(sotw.ResourceNames, []string{"a", "b"}) ||
		sotw.ErrorDetail.GetCode() != 3 || sotw.ErrorDetail.GetMessage() != "bad" {
		t.Errorf("sotw request %v", &sotw)
	}
	var delta discovery.DeltaDiscoveryRequest
	if err := proto.Unmarshal(withError(deltaRequest(typeRoute, []string{"x"}, []string{"y"}, "n2"), true, 3, "bad"), &delta); err != nil {
		t.Fatal(err)
	}
	if delta.TypeUrl != typeRoute || delta.ResponseNonce != "n2" || !slices.Equal(delta.ResourceNamesSubscribe, []string{"x"}) ||
		!slices.Equal(delta.ResourceNamesUnsubscribe, []string{"y"}) || delta.ErrorDetail.GetMessage() != "bad" {
		t.Errorf("delta request %v", &delta)
	}
}
