import { typed } from '../core';
import type { HttpFilter } from './http-filter';

export const routerFilter: HttpFilter = {
  name: 'envoy.filters.http.router',
  typedConfig: typed('envoy.extensions.filters.http.router.v3.Router'),
};
