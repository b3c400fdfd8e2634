// The limits Envoy checks configuration against that a proxy's bootstrap sets, kept apart from
// the validator so the bootstrap can name them without loading it.

/**
 * Envoy's runtime key `re2.max_program_size.error_level`, as Istio's bootstrap sets it
 * (istio/istio pkg/bootstrap/config.go, extractRuntimeFlags: "32768"); Envoy's own default is 100,
 * which refuses `a{100}`. Mast's bootstrap sets the same (src/bootstrap/bootstrap.ts) and its
 * validator checks regexes against it.
 */
export const REGEX_MAX_PROGRAM_SIZE = 32768;

/** The runtime key the bootstrap sets to REGEX_MAX_PROGRAM_SIZE. */
export const REGEX_MAX_PROGRAM_SIZE_KEY = 're2.max_program_size.error_level';
