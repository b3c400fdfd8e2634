// One simulated Envoy sidecar on an ADS stream, SotW or delta: the Go twin of bench/lib/sidecar.ts
// (whose head says what it asks for and in which order; this one does the same, minus SDS).
// Every response is ACKed; every time it reports (synced, a change seen) is taken after the ACK
// was handed to the stream.
package main

import (
	"context"
	"math/rand"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
)

const (
	typeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeEndpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
)

// How Envoy retries an ADS stream that failed: a jittered exponential backoff, 500 ms at first,
// doubling up to 30 s (test/support/ads-client.ts ENVOY_RETRY gives Envoy's sources).
const (
	retryInitial = 500 * time.Millisecond
	retryMax     = 30 * time.Second
)

// typeState is what a sidecar subscribes to and last ACKed for one type.
type typeState struct {
	// For CDS and LDS: the children (EDS or RDS names) each cluster or listener names.
	children   map[string][]string
	subscribed map[string]struct{}
	// subscribed as a SotW request's resource_names field, sorted so that sidecars holding the
	// same names share one block; made when first sent.
	field []byte
	// Subscribed names no response has carried yet.
	pending  map[string]struct{}
	version  string
	nonce    string
	answered bool
}

func newTypeState() *typeState {
	return &typeState{children: map[string][]string{}, subscribed: map[string]struct{}{}, pending: map[string]struct{}{}}
}

func (st *typeState) namesField() []byte {
	if st.field == nil {
		names := make([]string, 0, len(st.subscribed))
		for n := range st.subscribed {
			names = append(names, n)
		}
		slices.Sort(names)
		st.field = internBlock(namesField(names))
	}
	return st.field
}

// watch is one awaited change of a cluster's endpoints: seen once its CLA lists ip.
type watch struct {
	ip  string
	key int64
}

type client struct {
	id     int
	fleet  *fleet
	node   []byte // the first request, which carries the node
	states map[string]*typeState
	stream grpc.ClientStream

	startedAt float64
	synced    bool
	syncBytes int64
	bytes     atomic.Int64

	mu      sync.Mutex
	watches map[string][]watch
}

// run opens the stream (again after a jittered backoff while the server refuses it before any
// response, as Envoy does) and answers responses until the stream ends or ctx is done.
func (c *client) run(ctx context.Context, conn *grpc.ClientConn) {
	c.startedAt = monoMs()
	retry := retryInitial
	for {
		c.states = map[string]*typeState{typeCluster: newTypeState()}
		answered := false
		stream, err := conn.NewStream(ctx, c.fleet.desc, c.fleet.method, grpc.ForceCodecV2(rawCodec{}))
		if err == nil {
			c.stream = stream
			err = stream.SendMsg(c.node)
		}
		for err == nil {
			var b []byte
			if err = c.stream.RecvMsg(&b); err == nil {
				answered = true
				err = c.onResponse(b)
			}
		}
		if ctx.Err() != nil {
			return
		}
		if answered {
			c.fleet.failed(c.id, err)
			return
		}
		wait := time.Duration(rand.Int63n(int64(retry)))
		retry = min(retry*2, retryMax)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (c *client) state(typeURL string) *typeState {
	st := c.states[typeURL]
	if st == nil {
		st = newTypeState()
		c.states[typeURL] = st
	}
	return st
}

func (c *client) onResponse(b []byte) error {
	c.bytes.Add(int64(len(b)))
	if !c.synced {
		c.syncBytes += int64(len(b))
	}
	r, err := readResponse(b, c.fleet.delta)
	if err != nil {
		// Without a type URL there is no request to NACK with; count it and read on.
		c.fleet.nack(c.id, "undecodable response: "+err.Error())
		return nil
	}
	if wrong := misTyped(r); wrong > 0 {
		return c.nack(r, wrong)
	}
	st := c.state(r.typeURL)
	st.answered = true
	var seen []watch
	switch r.typeURL {
	case typeCluster:
		err = c.follow(st, typeEndpoint, r, func(s span) (string, []string) {
			name, eds := clusterNames(s)
			if eds == nil {
				return intern(name), nil
			}
			return intern(name), []string{intern(eds)}
		})
	case typeListener:
		err = c.follow(st, typeRoute, r, func(s span) (string, []string) {
			var kids []string
			for _, n := range routeConfigNames(s) {
				kids = append(kids, intern(n))
			}
			return intern(resourceName(s)), kids
		})
	case typeEndpoint:
		arrived(st, r)
		seen = c.check(r)
	default:
		arrived(st, r)
	}
	if err != nil {
		return err
	}
	if err := c.ack(r, st); err != nil {
		return err
	}
	acked := monoMs()
	for _, w := range seen {
		c.fleet.seen(w.key, c.id, acked)
	}
	// Envoy asks for listeners only once its clusters have warmed.
	if r.typeURL == typeEndpoint && len(st.pending) == 0 && c.states[typeListener] == nil {
		if err := c.subscribe(typeListener, nil, nil); err != nil {
			return err
		}
	}
	if !c.synced && c.isSynced() {
		c.synced = true
		c.fleet.syncedAt(c, acked)
	}
	return nil
}

// nack rejects r as Envoy does: the nonce answered, the last accepted version kept, and why.
func (c *client) nack(r *response, wrong int) error {
	reason := formatWrong(wrong, len(r.resources), r.typeURL)
	c.fleet.nack(c.id, reason)
	st := c.state(r.typeURL)
	st.nonce = r.nonce
	const invalidArgument = 3
	if c.fleet.delta {
		return c.stream.SendMsg(withError(deltaRequest(r.typeURL, nil, nil, r.nonce), true, invalidArgument, reason))
	}
	return c.stream.SendMsg(withError(sotwRequest(r.typeURL, st.namesField(), st.version, r.nonce).Materialize(), false, invalidArgument, reason))
}

// arrived takes the response's names off the pending list; once a type's subscriptions have all
// been answered, later responses need not be read.
func arrived(st *typeState, r *response) {
	if len(st.pending) == 0 {
		return
	}
	for _, s := range r.resources {
		delete(st.pending, string(resourceName(s)))
	}
}

// check takes the awaited changes this EDS response carries (and those they supersede: SotW and
// delta both send only a resource's latest state) off the watch list.
func (c *client) check(r *response) []watch {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.watches) == 0 {
		return nil
	}
	var seen []watch
	for _, s := range r.resources {
		name := resourceName(s)
		list, ok := c.watches[string(name)]
		if !ok {
			continue
		}
		ips := endpointAddresses(s)
		last := -1
		for k, w := range list {
			if slices.Contains(ips, w.ip) {
				last = k
			}
		}
		if last < 0 {
			continue
		}
		seen = append(seen, list[:last+1]...)
		if last+1 == len(list) {
			delete(c.watches, string(name))
		} else {
			c.watches[string(name)] = slices.Clone(list[last+1:])
		}
	}
	return seen
}

// expect awaits the EDS response listing ip in cluster's ClusterLoadAssignment.
func (c *client) expect(cluster string, w watch) {
	c.mu.Lock()
	c.watches[cluster] = append(c.watches[cluster], w)
	c.mu.Unlock()
}

// follow keeps the child type's subscription equal to what the parents (clusters or listeners)
// name, as Envoy does. A SotW response holds every parent; a delta one only the changed ones.
func (c *client) follow(parent *typeState, childType string, r *response, read func(span) (string, []string)) error {
	if !c.fleet.delta {
		parent.children = map[string][]string{}
	}
	for _, n := range r.removed {
		delete(parent.children, n)
	}
	for _, s := range r.resources {
		name, kids := read(s)
		parent.children[name] = kids
	}
	wanted := map[string]struct{}{}
	for _, kids := range parent.children {
		for _, n := range kids {
			wanted[n] = struct{}{}
		}
	}
	child := c.state(childType)
	var added, dropped []string
	for n := range wanted {
		if _, ok := child.subscribed[n]; !ok {
			added = append(added, n)
			child.pending[n] = struct{}{}
		}
	}
	for n := range child.subscribed {
		if _, ok := wanted[n]; !ok {
			dropped = append(dropped, n)
			delete(child.pending, n)
		}
	}
	if len(added) == 0 && len(dropped) == 0 {
		return nil
	}
	child.subscribed = wanted
	child.field = nil
	return c.subscribe(childType, added, dropped)
}

func (c *client) subscribe(typeURL string, added, dropped []string) error {
	st := c.state(typeURL)
	if c.fleet.delta {
		return c.stream.SendMsg(deltaRequest(typeURL, added, dropped, ""))
	}
	return c.stream.SendMsg(sotwRequest(typeURL, st.namesField(), st.version, st.nonce))
}

// ack answers r: a SotW ACK repeats every subscribed name (as Envoy's does), a delta one only
// the type and nonce.
func (c *client) ack(r *response, st *typeState) error {
	st.nonce = r.nonce
	if c.fleet.delta {
		return c.stream.SendMsg(deltaRequest(r.typeURL, nil, nil, r.nonce))
	}
	st.version = r.version
	return c.stream.SendMsg(sotwRequest(r.typeURL, st.namesField(), st.version, st.nonce))
}

func (c *client) isSynced() bool {
	for _, t := range []string{typeCluster, typeEndpoint, typeListener, typeRoute} {
		st := c.states[t]
		if st == nil || !st.answered || len(st.pending) > 0 {
			return false
		}
	}
	return true
}

// holdings is what the sidecar held when it finished its initial sync.
func (c *client) holdings() map[string]int {
	return map[string]int{
		"clusters":  len(c.state(typeCluster).children),
		"endpoints": len(c.state(typeEndpoint).subscribed),
		"listeners": len(c.state(typeListener).children),
		"routes":    len(c.state(typeRoute).subscribed),
	}
}
