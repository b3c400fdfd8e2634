// The few fields a load client reads straight from a response's bytes, and the requests it writes
// as bytes: the Go twin of bench/lib/wire.ts and bench/lib/requests.ts, for the same reason (a
// simulated sidecar must cost far less than the server it loads, so resources are never decoded
// whole). Field numbers: envoy/service/discovery/v3/discovery.proto (DiscoveryResponse,
// DeltaDiscoveryResponse, Resource, DiscoveryRequest, DeltaDiscoveryRequest),
// envoy/config/cluster/v3/cluster.proto, envoy/config/listener/v3/listener.proto,
// envoy/config/endpoint/v3/endpoint.proto and http_connection_manager.proto.
package main

import (
	"errors"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

var errTruncated = errors.New("truncated protobuf")

// span is one resource of a response: its message, the Any's type URL, and for delta the
// envelope's name (nil in SotW, where field 1 of every type here is its name).
type span struct {
	body, typeURL, name []byte
}

type response struct {
	typeURL string
	// SotW version_info; delta's system version is not needed.
	version   string
	nonce     string
	resources []span
	removed   []string
}

// eachField calls fn for every field of msg with its number, wire type and, for length-delimited
// fields, its bytes, for varints its value; other fields are skipped. It stops at fn's first error.
func eachField(msg []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(msg) > 0 {
		num, typ, tl := protowire.ConsumeTag(msg)
		if tl < 0 {
			return errTruncated
		}
		msg = msg[tl:]
		var l int
		var err error
		switch typ {
		case protowire.BytesType:
			var v []byte
			v, l = protowire.ConsumeBytes(msg)
			if l >= 0 {
				err = fn(num, typ, v, 0)
			}
		case protowire.VarintType:
			var n uint64
			n, l = protowire.ConsumeVarint(msg)
			if l >= 0 {
				err = fn(num, typ, nil, n)
			}
		default:
			l = protowire.ConsumeFieldValue(num, typ, msg)
		}
		if l < 0 {
			return errTruncated
		}
		if err != nil {
			return err
		}
		msg = msg[l:]
	}
	return nil
}

// eachBytes is eachField over the length-delimited fields only: every field read here but a
// Cluster's type is a string or a message.
func eachBytes(msg []byte, fn func(num protowire.Number, v []byte) error) error {
	return eachField(msg, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		return fn(num, v)
	})
}

// anyValue reads an Any: type_url (1), value (2).
func anyValue(b []byte) (s span, err error) {
	err = eachBytes(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			s.typeURL = v
		case 2:
			s.body = v
		}
		return nil
	})
	return s, err
}

// deltaResource reads a delta Resource: name (3) and resource (2, an Any); found is false for one
// without a resource.
func deltaResource(b []byte) (s span, found bool, err error) {
	err = eachBytes(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 3:
			s.name = v
		case 2:
			a, err := anyValue(v)
			s.body, s.typeURL, found = a.body, a.typeURL, true
			return err
		}
		return nil
	})
	return s, found, err
}

// readResponse reads a DiscoveryResponse (SotW) or DeltaDiscoveryResponse: the two share field
// numbers 2 (resources), 4 (type_url) and 5 (nonce); SotW's version_info is 1, delta's
// removed_resources 6.
func readResponse(b []byte, delta bool) (*response, error) {
	r := &response{}
	err := eachBytes(b, func(num protowire.Number, v []byte) error {
		switch {
		case num == 2 && delta:
			s, found, err := deltaResource(v)
			if found {
				r.resources = append(r.resources, s)
			}
			return err
		case num == 2:
			s, err := anyValue(v)
			r.resources = append(r.resources, s)
			return err
		case num == 1 && !delta:
			r.version = string(v)
		case num == 4:
			r.typeURL = string(v)
		case num == 5:
			r.nonce = string(v)
		case num == 6 && delta:
			r.removed = append(r.removed, string(v))
		}
		return nil
	})
	return r, err
}

// misTyped counts the resources not of the response's type (an Any without one counts): Envoy
// rejects such a response, as it does one it cannot decode.
func misTyped(r *response) int {
	wrong := 0
	for _, s := range r.resources {
		if string(s.typeURL) != r.typeURL {
			wrong++
		}
	}
	return wrong
}

// resourceName is the delta envelope's name, else field 1, which names every type here
// (Cluster, Listener, RouteConfiguration name, ClusterLoadAssignment cluster_name).
func resourceName(s span) []byte {
	if s.name != nil {
		return s.name
	}
	var name []byte
	_ = eachBytes(s.body, func(num protowire.Number, v []byte) error {
		if num == 1 && name == nil {
			name = v
		}
		return nil
	})
	return name
}

const clusterTypeEDS = 3

// clusterNames gives a Cluster's name and the EDS name it subscribes to
// (eds_cluster_config.service_name, else its own name); eds is nil for a cluster not of type EDS.
func clusterNames(s span) (name, eds []byte) {
	var typ uint64
	var service []byte
	_ = eachField(s.body, func(num protowire.Number, t protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && t == protowire.BytesType:
			name = v
		case num == 2 && t == protowire.VarintType:
			typ = n
		case num == 3 && t == protowire.BytesType: // EdsClusterConfig.service_name (2)
			walk(v, []protowire.Number{2}, func(w []byte) { service = w })
		}
		return nil
	})
	if s.name != nil {
		name = s.name
	}
	if typ != clusterTypeEDS {
		return name, nil
	}
	if len(service) > 0 {
		return name, service
	}
	return name, name
}

// walk calls leaf with each occurrence of the length-delimited field path within msg.
func walk(msg []byte, path []protowire.Number, leaf func(v []byte)) {
	_ = eachBytes(msg, func(num protowire.Number, v []byte) error {
		if num != path[0] {
			return nil
		}
		if len(path) == 1 {
			leaf(v)
		} else {
			walk(v, path[1:], leaf)
		}
		return nil
	})
}

const hcmType = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"

// Listener.filter_chains (3) or default_filter_chain (25) -> FilterChain.filters (3) -> Filter.typed_config (4).
var filterConfigs = [][]protowire.Number{{3, 3, 4}, {25, 3, 4}}

// routeConfigNames lists the route configs a listener's HTTP connection managers fetch over RDS
// (HttpConnectionManager.rds (3) -> Rds.route_config_name (2)).
func routeConfigNames(s span) [][]byte {
	var names [][]byte
	for _, path := range filterConfigs {
		walk(s.body, path, func(anyBytes []byte) {
			a, err := anyValue(anyBytes)
			if err != nil || string(a.typeURL) != hcmType {
				return
			}
			walk(a.body, []protowire.Number{3, 2}, func(n []byte) { names = append(names, n) })
		})
	}
	return names
}

// ClusterLoadAssignment.endpoints (2) -> lb_endpoints (2) -> LbEndpoint.endpoint (1)
// -> Endpoint.address (1) -> Address.socket_address (1) -> SocketAddress.address (2).
var endpointAddress = []protowire.Number{2, 2, 1, 1, 1, 2}

// endpointAddresses lists a ClusterLoadAssignment's endpoint addresses, in order.
func endpointAddresses(s span) []string {
	var found []string
	walk(s.body, endpointAddress, func(a []byte) { found = append(found, string(a)) })
	return found
}

// namesField encodes a DiscoveryRequest's resource_names (3) in order.
func namesField(names []string) []byte {
	var out []byte
	for _, n := range names {
		out = protowire.AppendTag(out, 3, protowire.BytesType)
		out = protowire.AppendString(out, n)
	}
	return out
}

// sotwRequest is a SotW DiscoveryRequest without node or error: version_info (1), the names
// block namesField made (3), type_url (4), response_nonce (5). The block is shared, not copied:
// grpc copies each piece once, into its frame (2000 sidecars ACK a change with 54 KB each).
func sotwRequest(typeURL string, names []byte, version, nonce string) mem.BufferSlice {
	head := protowire.AppendTag(make([]byte, 0, len(version)+8), 1, protowire.BytesType)
	head = protowire.AppendString(head, version)
	tail := make([]byte, 0, len(typeURL)+len(nonce)+16)
	tail = protowire.AppendTag(tail, 4, protowire.BytesType)
	tail = protowire.AppendString(tail, typeURL)
	tail = protowire.AppendTag(tail, 5, protowire.BytesType)
	tail = protowire.AppendString(tail, nonce)
	return mem.BufferSlice{mem.SliceBuffer(head), mem.SliceBuffer(names), mem.SliceBuffer(tail)}
}

// deltaRequest is a DeltaDiscoveryRequest: type_url (2), resource_names_subscribe (3),
// resource_names_unsubscribe (4), response_nonce (6).
func deltaRequest(typeURL string, subscribe, unsubscribe []string, nonce string) []byte {
	var out []byte
	out = protowire.AppendTag(out, 2, protowire.BytesType)
	out = protowire.AppendString(out, typeURL)
	for _, n := range subscribe {
		out = protowire.AppendTag(out, 3, protowire.BytesType)
		out = protowire.AppendString(out, n)
	}
	for _, n := range unsubscribe {
		out = protowire.AppendTag(out, 4, protowire.BytesType)
		out = protowire.AppendString(out, n)
	}
	if nonce != "" {
		out = protowire.AppendTag(out, 6, protowire.BytesType)
		out = protowire.AppendString(out, nonce)
	}
	return out
}

// withError appends error_detail (a google.rpc.Status: code 1, message 2) to a request; its field
// is 6 in DiscoveryRequest and 7 in DeltaDiscoveryRequest.
func withError(req []byte, delta bool, code int, message string) []byte {
	var status []byte
	status = protowire.AppendTag(status, 1, protowire.VarintType)
	status = protowire.AppendVarint(status, uint64(code))
	status = protowire.AppendTag(status, 2, protowire.BytesType)
	status = protowire.AppendString(status, message)
	field := protowire.Number(6)
	if delta {
		field = 7
	}
	req = protowire.AppendTag(req, field, protowire.BytesType)
	return protowire.AppendBytes(req, status)
}
