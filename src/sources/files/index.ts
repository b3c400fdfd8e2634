// The file source: a directory of multi-document YAML (or JSON) as the mesh's configuration.
export { loadConfigDir } from './load';
export { watchConfigDir, type ConfigDirWatch, type WatchOptions } from './watch';
