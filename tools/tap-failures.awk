# Prints each failed test in a TAP file (Node's test runner) with its suite and error message,
# so the end of a long CI log says what failed and why. Suites that failed only because a test
# in them did are left out.
/^ *# Subtest: / { match($0, /^ */); suite[RLENGTH] = substr($0, RLENGTH + 12); next }
/^ *not ok / {
  match($0, /^ */); depth = RLENGTH
  name = $0; sub(/^ *not ok [0-9]+ - /, "", name)
  if (depth >= 4 && suite[depth - 4] != "") name = suite[depth - 4] " > " name
  inerr = 0; next
}
name != "" && /^ *failureType: 'subtestsFailed'/ { name = ""; next }
name != "" && /^ *error: / {
  line = $0; sub(/^ *error: /, "", line)
  if (line == "|-" || line == "|") { inerr = 1; indent = -1; printf "FAILED %s:\n", name; next }
  printf "FAILED %s: %s\n", name, line; name = ""; next
}
inerr {
  match($0, /^ */); if (indent < 0) indent = RLENGTH
  if (RLENGTH < indent) { inerr = 0; name = ""; next }
  print "  " substr($0, indent + 1)
}
