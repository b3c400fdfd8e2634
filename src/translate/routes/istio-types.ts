// Names for the parts of a VirtualService that route translation reads.
import type { VirtualServiceSpec } from '../../model/types';

export type HttpRule = NonNullable<VirtualServiceSpec['http']>[number];
export type HttpMatch = NonNullable<HttpRule['match']>[number];
export type StringMatch = NonNullable<HttpMatch['uri']>;
export type HttpRouteDestination = NonNullable<HttpRule['route']>[number];
export type Destination = HttpRouteDestination['destination'];
export type HeaderOperations = NonNullable<HttpRule['headers']>;
